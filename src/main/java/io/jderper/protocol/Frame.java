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
        public int type() {
            return FrameType.SERVER_KEY;
        }
    }

    /** Client key followed by a NaCl-sealed JSON ({@code nonce ‖ tag ‖ ciphertext}). */
    record ClientInfo(NodePublicKey clientKey, byte[] sealed) implements Frame {
        public int type() {
            return FrameType.CLIENT_INFO;
        }
    }

    record ServerInfo(byte[] sealed) implements Frame {
        public int type() {
            return FrameType.SERVER_INFO;
        }
    }

    /** {@code dst(32) ‖ packet}. */
    record SendPacket(ByteBuf frame) implements PacketFrame {
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
        public static final KeepAlive INSTANCE = new KeepAlive();

        public int type() {
            return FrameType.KEEP_ALIVE;
        }
    }

    record NotePreferred(boolean preferred) implements Frame {
        public int type() {
            return FrameType.NOTE_PREFERRED;
        }
    }

    record PeerGone(NodePublicKey peer, PeerGoneReason reason) implements Frame {
        public int type() {
            return FrameType.PEER_GONE;
        }
    }

    /**
     * @param ip16  client address in 16-byte IPv6 form (IPv4 mapped), all zero when unknown
     * @param flags {@link PeerPresentFlags} bits; 0 from servers that send none
     */
    record PeerPresent(NodePublicKey peer, byte[] ip16, int port, int flags) implements Frame {
        public int type() {
            return FrameType.PEER_PRESENT;
        }
    }

    record WatchConns() implements Frame {
        public static final WatchConns INSTANCE = new WatchConns();

        public int type() {
            return FrameType.WATCH_CONNS;
        }
    }

    record ClosePeer(NodePublicKey peer) implements Frame {
        public int type() {
            return FrameType.CLOSE_PEER;
        }
    }

    /** Only the first 8 bytes of a Ping matter; longer pings are accepted and truncated. */
    record Ping(long data) implements Frame {
        public int type() {
            return FrameType.PING;
        }
    }

    record Pong(long data) implements Frame {
        public int type() {
            return FrameType.PONG;
        }
    }

    record Health(String problem) implements Frame {
        public int type() {
            return FrameType.HEALTH;
        }
    }

    record Restarting(long reconnectInMillis, long tryForMillis) implements Frame {
        public int type() {
            return FrameType.RESTARTING;
        }
    }

    /** A frame the receiving side does not handle; its payload was skipped without being buffered. */
    record Unknown(int type, long length) implements Frame {
    }
}
