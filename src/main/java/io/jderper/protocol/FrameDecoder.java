package io.jderper.protocol;

import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * DERP frame decoder, one instance per connection. A state machine over the 5-byte header: frames the role handles are
 * buffered whole (bounded by the per-type limits) and emitted as {@link Frame} records; relayed packets as retained
 * slices of the input. Frames the role ignores are skipped as they stream in, whatever their declared length, and
 * surface as {@link Frame.Ignored} (a type this side does not act on) or {@link Frame.Unknown} (a type the protocol
 * does not define); both still count as activity. The length rules per side are {@link FrameRules}. After a protocol violation everything further is
 * discarded and the error propagates; the connection handler closes the channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    /** Which side of the connection we are: decides which frame types are handled and their limits. */
    public enum Role {
        SERVER(FrameRules.server()),
        CLIENT(FrameRules.client());

        private final FrameRules rules;

        Role(FrameRules rules) {
            this.rules = rules;
        }
    }

    private enum State { HEADER, SKIP, BAD }

    private final Role role;
    private State state = State.HEADER;
    private long skipRemaining;
    private boolean firstFrameSeen;
    /** Server role: after ClientInfo nothing more is decoded until the handshake completes ({@link #resume}). */
    private boolean paused;
    private FrameObserver observer = FrameObserver.NONE;

    public FrameDecoder(Role role) {
        this.role = role;
    }

    /** Sees every header before its payload is read (used for receive rate limiting). */
    public void observer(FrameObserver observer) {
        this.observer = observer;
    }

    /**
     * Stops emitting frames after the current one until {@link #resume}; used by the receive rate limit so that
     * frames already read wait for their tokens like the rest. Callers also turn auto-read off. Event loop only.
     */
    public void pause() {
        paused = true;
    }

    /**
     * Continues decoding after the handshake (or a {@link #pause}): frames the client pipelined behind ClientInfo are still buffered here.
     * Must be called on the event loop with this decoder's own context.
     */
    public void resume(ChannelHandlerContext ownCtx) throws Exception {
        paused = false;
        if (internalBuffer().isReadable()) {
            channelRead(ownCtx, Unpooled.EMPTY_BUFFER);
            channelReadComplete(ownCtx);
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (paused) {
            return;
        }
        try {
            switch (state) {
                case BAD -> in.skipBytes(in.readableBytes());
                case SKIP -> skip(in);
                case HEADER -> decodeFrame(in, out);
            }
        } catch (MalformedFrameException e) {
            // The one way into BAD: whatever rule broke, nothing after it is trusted.
            state = State.BAD;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    private void skip(ByteBuf in) {
        int n = (int) Math.min(skipRemaining, in.readableBytes());
        in.skipBytes(n);
        skipRemaining -= n;
        if (skipRemaining == 0) {
            state = State.HEADER;
        }
    }

    private void decodeFrame(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < FrameType.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int type = in.getUnsignedByte(start);
        long length = in.getUnsignedInt(start + 1);
        if (!role.rules.accepts(type, length, !firstFrameSeen)) {
            in.skipBytes(FrameType.HEADER_LENGTH);
            observer.onHeader(type, length);
            out.add(FrameType.isDefined(type) ? new Frame.Ignored(type, length) : new Frame.Unknown(type, length));
            if (length > 0) {
                skipRemaining = length;
                state = State.SKIP;
                skip(in);
            }
            return;
        }
        int frameLength = FrameType.HEADER_LENGTH + (int) length;
        if (in.readableBytes() < frameLength) {
            return;
        }
        observer.onHeader(type, length);
        if (!firstFrameSeen) {
            firstFrameSeen = true;
            paused = role == Role.SERVER;
        }
        out.add(read(type, (int) length, in, frameLength));
    }

    private Frame read(int type, int length, ByteBuf in, int frameLength) {
        switch (type) {
            case FrameType.SEND_PACKET:
                return new Frame.SendPacket(in.readRetainedSlice(frameLength));
            case FrameType.RECV_PACKET:
                return new Frame.RecvPacket(in.readRetainedSlice(frameLength));
            case FrameType.FORWARD_PACKET:
                return new Frame.ForwardPacket(in.readRetainedSlice(frameLength));
            default:
                break;
        }
        in.skipBytes(FrameType.HEADER_LENGTH);
        int end = in.readerIndex() + length;
        try {
            return switch (type) {
                case FrameType.SERVER_KEY -> readServerKey(in);
                case FrameType.CLIENT_INFO -> {
                    NodePublicKey key = NodePublicKey.readFrom(in);
                    byte[] sealed = new byte[length - FrameType.KEY_LENGTH];
                    in.readBytes(sealed);
                    yield new Frame.ClientInfo(key, sealed);
                }
                case FrameType.SERVER_INFO -> {
                    byte[] sealed = new byte[length];
                    in.readBytes(sealed);
                    yield new Frame.ServerInfo(sealed);
                }
                case FrameType.KEEP_ALIVE -> Frame.KeepAlive.INSTANCE;
                case FrameType.NOTE_PREFERRED -> new Frame.NotePreferred(in.readByte() != 0);
                case FrameType.PEER_GONE -> new Frame.PeerGone(NodePublicKey.readFrom(in),
                        length > FrameType.KEY_LENGTH ? PeerGoneReason.of(in.readUnsignedByte()) : PeerGoneReason.DISCONNECTED);
                case FrameType.PEER_PRESENT -> readPeerPresent(in, length);
                case FrameType.WATCH_CONNS -> Frame.WatchConns.INSTANCE;
                case FrameType.CLOSE_PEER -> new Frame.ClosePeer(NodePublicKey.readFrom(in));
                case FrameType.PING -> new Frame.Ping(in.readLong());
                case FrameType.PONG -> new Frame.Pong(in.readLong());
                case FrameType.HEALTH -> new Frame.Health(in.readCharSequence(length, StandardCharsets.UTF_8).toString());
                case FrameType.RESTARTING -> new Frame.Restarting(in.readUnsignedInt(), in.readUnsignedInt());
                default -> throw new IllegalStateException("unhandled frame type " + type);
            };
        } finally {
            in.readerIndex(end);
        }
    }

    private static Frame readServerKey(ByteBuf in) {
        for (byte b : FrameType.MAGIC) {
            if (in.readByte() != b) {
                throw new MalformedFrameException(FrameType.SERVER_KEY, "invalid server greeting (bad magic)");
            }
        }
        return new Frame.ServerKey(NodePublicKey.readFrom(in));
    }

    private static Frame readPeerPresent(ByteBuf in, int length) {
        NodePublicKey key = NodePublicKey.readFrom(in);
        byte[] ip = new byte[16];
        int port = 0;
        int flags = 0;
        if (length >= 50) {
            in.readBytes(ip);
            port = in.readUnsignedShort();
        }
        if (length >= 51) {
            flags = in.readUnsignedByte();
        }
        return new Frame.PeerPresent(key, ip, port, flags);
    }

    /**
     * While paused the connection is not reading (the handshake or the rate limit turned auto-read off), and it must
     * stay so: the base class would ask the transport for more input after every read that produced no frame, letting
     * a client push unbounded data into this buffer while its ClientInfo is verified or its tokens accrue.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (paused) {
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        state = State.BAD;
    }
}
