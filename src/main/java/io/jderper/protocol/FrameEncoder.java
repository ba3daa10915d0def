package io.jderper.protocol;

import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes {@link Frame} records. Packet frames already are wire bytes and pass through untouched; the static
 * {@code write*} methods are also used directly by the relay's writer, which builds frames without records.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Frame> {
    public static final FrameEncoder INSTANCE = new FrameEncoder();

    private FrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame msg, List<Object> out) {
        out.add(encode(ctx.alloc(), msg));
    }

    /** The frame as a new buffer (packet frames: their own buffer, ownership passes to the caller). */
    public static ByteBuf encode(ByteBufAllocator alloc, Frame msg) {
        if (msg instanceof Frame.PacketFrame p) {
            return p.frame();
        }
        if (msg instanceof Frame.ServerKey f) {
            ByteBuf b = header(alloc, FrameType.SERVER_KEY, FrameType.MAGIC.length + FrameType.KEY_LENGTH);
            b.writeBytes(FrameType.MAGIC);
            f.key().writeTo(b);
            return b;
        }
        if (msg instanceof Frame.ClientInfo f) {
            ByteBuf b = header(alloc, FrameType.CLIENT_INFO, FrameType.KEY_LENGTH + f.sealed().length);
            f.clientKey().writeTo(b);
            return b.writeBytes(f.sealed());
        }
        if (msg instanceof Frame.ServerInfo f) {
            return header(alloc, FrameType.SERVER_INFO, f.sealed().length).writeBytes(f.sealed());
        }
        if (msg instanceof Frame.KeepAlive) {
            return header(alloc, FrameType.KEEP_ALIVE, 0);
        }
        if (msg instanceof Frame.NotePreferred f) {
            return header(alloc, FrameType.NOTE_PREFERRED, 1).writeByte(f.preferred() ? 1 : 0);
        }
        if (msg instanceof Frame.PeerGone f) {
            return writePeerGone(alloc.buffer(FrameType.HEADER_LENGTH + 33), f.peer(), f.reason());
        }
        if (msg instanceof Frame.PeerPresent f) {
            return writePeerPresent(alloc.buffer(FrameType.HEADER_LENGTH + 51), f.peer(), f.ip16(), f.port(), f.flags());
        }
        if (msg instanceof Frame.WatchConns) {
            return header(alloc, FrameType.WATCH_CONNS, 0);
        }
        if (msg instanceof Frame.ClosePeer f) {
            ByteBuf b = header(alloc, FrameType.CLOSE_PEER, FrameType.KEY_LENGTH);
            f.peer().writeTo(b);
            return b;
        }
        if (msg instanceof Frame.Ping f) {
            return header(alloc, FrameType.PING, 8).writeLong(f.data());
        }
        if (msg instanceof Frame.Pong f) {
            return writePong(alloc.buffer(FrameType.HEADER_LENGTH + 8), f.data());
        }
        if (msg instanceof Frame.Health f) {
            byte[] text = f.problem().getBytes(StandardCharsets.UTF_8);
            return header(alloc, FrameType.HEALTH, text.length).writeBytes(text);
        }
        if (msg instanceof Frame.Restarting f) {
            return writeRestarting(alloc.buffer(FrameType.HEADER_LENGTH + 8), f.reconnectInMillis(), f.tryForMillis());
        }
        throw new IllegalArgumentException("cannot encode frame of type " + FrameType.name(msg.type()));
    }

    private static ByteBuf header(ByteBufAllocator alloc, int type, int length) {
        return alloc.buffer(FrameType.HEADER_LENGTH + length).writeByte(type).writeInt(length);
    }

    public static ByteBuf writePeerGone(ByteBuf b, NodePublicKey peer, PeerGoneReason reason) {
        b.writeByte(FrameType.PEER_GONE).writeInt(FrameType.KEY_LENGTH + 1);
        peer.writeTo(b);
        return b.writeByte(reason.code());
    }

    public static ByteBuf writePeerPresent(ByteBuf b, NodePublicKey peer, byte[] ip16, int port, int flags) {
        b.writeByte(FrameType.PEER_PRESENT).writeInt(FrameType.KEY_LENGTH + 16 + 2 + 1);
        peer.writeTo(b);
        return b.writeBytes(ip16, 0, 16).writeShort(port).writeByte(flags);
    }

    public static ByteBuf writePong(ByteBuf b, long data) {
        return b.writeByte(FrameType.PONG).writeInt(8).writeLong(data);
    }

    public static ByteBuf writeKeepAlive(ByteBuf b) {
        return b.writeByte(FrameType.KEEP_ALIVE).writeInt(0);
    }

    public static ByteBuf writeRestarting(ByteBuf b, long reconnectInMillis, long tryForMillis) {
        return b.writeByte(FrameType.RESTARTING).writeInt(8).writeInt((int) reconnectInMillis).writeInt((int) tryForMillis);
    }

    /** SendPacket header plus destination key; the packet bytes follow separately. */
    public static ByteBuf writeSendPacketHeader(ByteBuf b, NodePublicKey dst, int packetLength) {
        b.writeByte(FrameType.SEND_PACKET).writeInt(FrameType.KEY_LENGTH + packetLength);
        dst.writeTo(b);
        return b;
    }
}
