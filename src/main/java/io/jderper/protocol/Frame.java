package io.jderper.protocol;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * One decoded DERP frame. Frames that carry relayed packets hold the whole received frame (header included) as a
 * retained slice, so the server can turn it into the outgoing frame in place instead of copying the payload.
 */
public sealed interface Frame {

    int type();

    /**
     * Double dispatch onto {@link Visitor}: every consumer of frames implements all of its methods, so a new frame
     * type does not compile until each of them decides what to do with it.
     */
    <R> R accept(Visitor<R> visitor);

    /** One method per frame record; deliberately without defaults. */
    interface Visitor<R> {
        R serverKey(ServerKey f);

        R clientInfo(ClientInfo f);

        R serverInfo(ServerInfo f);

        R sendPacket(SendPacket f);

        R recvPacket(RecvPacket f);

        R forwardPacket(ForwardPacket f);

        R keepAlive(KeepAlive f);

        R notePreferred(NotePreferred f);

        R peerGone(PeerGone f);

        R peerPresent(PeerPresent f);

        R watchConns(WatchConns f);

        R closePeer(ClosePeer f);

        R ping(Ping f);

        R pong(Pong f);

        R health(Health f);

        R restarting(Restarting f);

        R ignored(Ignored f);

        R unknown(Unknown f);
    }

    /** A frame that owns a buffer; whoever receives it must release it (or pass it on). */
    sealed interface PacketFrame extends Frame permits SendPacket, RecvPacket, ForwardPacket {
        /** The complete frame: 5-byte header, keys, packet bytes. Reader index at the type byte. */
        ByteBuf frame();

        /** Offset of the packet bytes within {@link #frame()}. */
        int packetOffset();

        default int packetLength() {
            return frame().readableBytes() - packetOffset();
        }

        default ByteBuf packet() {
            ByteBuf f = frame();
            return f.slice(f.readerIndex() + packetOffset(), packetLength());
        }

        /** True when the packet is a Tailscale disco message (magic prefix, at least 62 bytes). */
        default boolean isDisco() {
            return Disco.looksLikeDisco(frame(), frame().readerIndex() + packetOffset(), packetLength());
        }

        default void release() {
            frame().release();
        }
    }

    record ServerKey(NodePublicKey key) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.serverKey(this);
        }

        public int type() {
            return FrameType.SERVER_KEY;
        }
    }

    /** Client key followed by a NaCl-sealed JSON ({@code nonce ‖ tag ‖ ciphertext}). */
    record ClientInfo(NodePublicKey clientKey, byte[] sealed) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.clientInfo(this);
        }

        public int type() {
            return FrameType.CLIENT_INFO;
        }
    }

    record ServerInfo(byte[] sealed) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.serverInfo(this);
        }

        public int type() {
            return FrameType.SERVER_INFO;
        }
    }

    /** {@code dst(32) ‖ packet}. */
    record SendPacket(ByteBuf frame) implements PacketFrame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.sendPacket(this);
        }

        public int type() {
            return FrameType.SEND_PACKET;
        }

        public int packetOffset() {
            return FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH;
        }

        public NodeKeyProbe destination(NodeKeyProbe probe) {
            return probe.fill(frame, frame.readerIndex() + FrameType.HEADER_LENGTH);
        }

        public NodePublicKey destination() {
            return NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH);
        }
    }

    /** {@code src(32) ‖ packet} (protocol version 2). */
    record RecvPacket(ByteBuf frame) implements PacketFrame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.recvPacket(this);
        }

        public int type() {
            return FrameType.RECV_PACKET;
        }

        public int packetOffset() {
            return FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH;
        }

        public NodePublicKey source() {
            return NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH);
        }
    }

    /** {@code src(32) ‖ dst(32) ‖ packet}, mesh peers only. */
    record ForwardPacket(ByteBuf frame) implements PacketFrame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.forwardPacket(this);
        }

        public int type() {
            return FrameType.FORWARD_PACKET;
        }

        public int packetOffset() {
            return FrameType.HEADER_LENGTH + 2 * FrameType.KEY_LENGTH;
        }

        public NodePublicKey source() {
            return NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH);
        }

        public NodeKeyProbe destination(NodeKeyProbe probe) {
            return probe.fill(frame, frame.readerIndex() + FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH);
        }

        public NodePublicKey destination() {
            return NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH);
        }
    }

    record KeepAlive() implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.keepAlive(this);
        }

        public static final KeepAlive INSTANCE = new KeepAlive();

        public int type() {
            return FrameType.KEEP_ALIVE;
        }
    }

    record NotePreferred(boolean preferred) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.notePreferred(this);
        }

        public int type() {
            return FrameType.NOTE_PREFERRED;
        }
    }

    record PeerGone(NodePublicKey peer, PeerGoneReason reason) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.peerGone(this);
        }

        public int type() {
            return FrameType.PEER_GONE;
        }
    }

    /**
     * @param ip16  client address in 16-byte IPv6 form (IPv4 mapped), all zero when unknown
     * @param flags {@link PeerPresentFlags} bits; 0 from servers that send none
     */
    record PeerPresent(NodePublicKey peer, byte[] ip16, int port, int flags) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.peerPresent(this);
        }

        public int type() {
            return FrameType.PEER_PRESENT;
        }
    }

    record WatchConns() implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.watchConns(this);
        }

        public static final WatchConns INSTANCE = new WatchConns();

        public int type() {
            return FrameType.WATCH_CONNS;
        }
    }

    record ClosePeer(NodePublicKey peer) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.closePeer(this);
        }

        public int type() {
            return FrameType.CLOSE_PEER;
        }
    }

    /** Only the first 8 bytes of a Ping matter; longer pings are accepted and truncated. */
    record Ping(long data) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.ping(this);
        }

        public int type() {
            return FrameType.PING;
        }
    }

    record Pong(long data) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.pong(this);
        }

        public int type() {
            return FrameType.PONG;
        }
    }

    record Health(String problem) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.health(this);
        }

        public int type() {
            return FrameType.HEALTH;
        }
    }

    record Restarting(long reconnectInMillis, long tryForMillis) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.restarting(this);
        }

        public int type() {
            return FrameType.RESTARTING;
        }
    }

    /**
     * A frame of a known type that this side does not act on (a server receiving Pong, a client receiving a frame too
     * short to read); its payload was skipped without being buffered. It still counts as activity.
     */
    record Ignored(int type, long length) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.ignored(this);
        }
    }

    /** A frame type this protocol version does not define; skipped like {@link Ignored}. */
    record Unknown(int type, long length) implements Frame {
        public <R> R accept(Visitor<R> visitor) {
            return visitor.unknown(this);
        }
    }
}
