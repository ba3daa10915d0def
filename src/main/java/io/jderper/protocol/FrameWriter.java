package io.jderper.protocol;

import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * Writes frames into buffers it allocates at their exact size, so no caller has to know a frame's length. Packet
 * frames already are wire bytes and pass through untouched; the relay builds its own frames with the typed writers,
 * without going through records.
 */
public final class FrameWriter {
    private static final int PEER_GONE_LENGTH = FrameType.KEY_LENGTH + 1;
    private static final int PEER_PRESENT_LENGTH = FrameType.KEY_LENGTH + 16 + 2 + 1;
    private static final int RESTARTING_LENGTH = 8;

    private FrameWriter() {
    }

    /** The frame as a new buffer (packet frames: their own buffer, whose ownership passes to the caller). */
    public static ByteBuf encode(ByteBufAllocator alloc, Frame frame) {
        return frame.accept(new Encoding(alloc));
    }

    public static ByteBuf keepAlive(ByteBufAllocator alloc) {
        return header(alloc, FrameType.KEEP_ALIVE, 0);
    }

    public static ByteBuf ping(ByteBufAllocator alloc, long data) {
        return header(alloc, FrameType.PING, FrameType.PING_DATA).writeLong(data);
    }

    public static ByteBuf pong(ByteBufAllocator alloc, long data) {
        return header(alloc, FrameType.PONG, FrameType.PING_DATA).writeLong(data);
    }

    public static ByteBuf peerGone(ByteBufAllocator alloc, NodePublicKey peer, PeerGoneReason reason) {
        ByteBuf b = header(alloc, FrameType.PEER_GONE, PEER_GONE_LENGTH);
        peer.writeTo(b);
        return b.writeByte(reason.code());
    }

    public static ByteBuf peerPresent(ByteBufAllocator alloc, NodePublicKey peer, byte[] ip16, int port, int flags) {
        ByteBuf b = header(alloc, FrameType.PEER_PRESENT, PEER_PRESENT_LENGTH);
        peer.writeTo(b);
        return b.writeBytes(ip16, 0, 16).writeShort(port).writeByte(flags);
    }

    public static ByteBuf restarting(ByteBufAllocator alloc, long reconnectInMillis, long tryForMillis) {
        return header(alloc, FrameType.RESTARTING, RESTARTING_LENGTH)
                .writeInt((int) reconnectInMillis).writeInt((int) tryForMillis);
    }

    /** SendPacket header plus destination key; the packet bytes follow in a buffer of their own. */
    public static ByteBuf sendPacketHeader(ByteBufAllocator alloc, NodePublicKey dst, int packetLength) {
        ByteBuf b = alloc.buffer(FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH)
                .writeByte(FrameType.SEND_PACKET).writeInt(FrameType.KEY_LENGTH + packetLength);
        dst.writeTo(b);
        return b;
    }

    private static ByteBuf header(ByteBufAllocator alloc, int type, int length) {
        return alloc.buffer(FrameType.HEADER_LENGTH + length).writeByte(type).writeInt(length);
    }

    private record Encoding(ByteBufAllocator alloc) implements Frame.Visitor<ByteBuf> {
        @Override
        public ByteBuf serverKey(Frame.ServerKey f) {
            ByteBuf b = header(alloc, FrameType.SERVER_KEY, FrameType.MAGIC.length + FrameType.KEY_LENGTH);
            b.writeBytes(FrameType.MAGIC);
            f.key().writeTo(b);
            return b;
        }

        @Override
        public ByteBuf clientInfo(Frame.ClientInfo f) {
            ByteBuf b = header(alloc, FrameType.CLIENT_INFO, FrameType.KEY_LENGTH + f.sealed().length);
            f.clientKey().writeTo(b);
            return b.writeBytes(f.sealed());
        }

        @Override
        public ByteBuf serverInfo(Frame.ServerInfo f) {
            return header(alloc, FrameType.SERVER_INFO, f.sealed().length).writeBytes(f.sealed());
        }

        @Override
        public ByteBuf sendPacket(Frame.SendPacket f) {
            return f.frame();
        }

        @Override
        public ByteBuf recvPacket(Frame.RecvPacket f) {
            return f.frame();
        }

        @Override
        public ByteBuf forwardPacket(Frame.ForwardPacket f) {
            return f.frame();
        }

        @Override
        public ByteBuf keepAlive(Frame.KeepAlive f) {
            return FrameWriter.keepAlive(alloc);
        }

        @Override
        public ByteBuf notePreferred(Frame.NotePreferred f) {
            return header(alloc, FrameType.NOTE_PREFERRED, 1).writeByte(f.preferred() ? 1 : 0);
        }

        @Override
        public ByteBuf peerGone(Frame.PeerGone f) {
            return FrameWriter.peerGone(alloc, f.peer(), f.reason());
        }

        @Override
        public ByteBuf peerPresent(Frame.PeerPresent f) {
            return FrameWriter.peerPresent(alloc, f.peer(), f.ip16(), f.port(), f.flags());
        }

        @Override
        public ByteBuf watchConns(Frame.WatchConns f) {
            return header(alloc, FrameType.WATCH_CONNS, 0);
        }

        @Override
        public ByteBuf closePeer(Frame.ClosePeer f) {
            ByteBuf b = header(alloc, FrameType.CLOSE_PEER, FrameType.KEY_LENGTH);
            f.peer().writeTo(b);
            return b;
        }

        @Override
        public ByteBuf ping(Frame.Ping f) {
            return FrameWriter.ping(alloc, f.data());
        }

        @Override
        public ByteBuf pong(Frame.Pong f) {
            return FrameWriter.pong(alloc, f.data());
        }

        @Override
        public ByteBuf health(Frame.Health f) {
            byte[] text = f.problem().getBytes(StandardCharsets.UTF_8);
            return header(alloc, FrameType.HEALTH, text.length).writeBytes(text);
        }

        @Override
        public ByteBuf restarting(Frame.Restarting f) {
            return FrameWriter.restarting(alloc, f.reconnectInMillis(), f.tryForMillis());
        }

        @Override
        public ByteBuf ignored(Frame.Ignored f) {
            throw notEncodable(f.type());
        }

        @Override
        public ByteBuf unknown(Frame.Unknown f) {
            throw notEncodable(f.type());
        }

        private static IllegalArgumentException notEncodable(int type) {
            return new IllegalArgumentException("a skipped frame (type " + FrameType.name(type)
                    + ") has no bytes to send; only decoded frames can be encoded");
        }
    }
}
