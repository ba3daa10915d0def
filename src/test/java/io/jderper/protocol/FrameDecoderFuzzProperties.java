package io.jderper.protocol;

import io.jderper.testsupport.FuzzSupport;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The frame decoder, both roles, under random and mutated byte streams cut at random points: the only error that
 * ever leaves it is a protocol violation, every buffer it touched is released, it never hangs, and the frames it
 * produces do not depend on how the stream was cut.
 */
class FrameDecoderFuzzProperties {
    private static final int TRIES = 400;
    private static final Duration PER_TRY = Duration.ofSeconds(10);

    /** What one run produced: frames (described) and whether it ended in a protocol violation. */
    record Outcome(List<String> frames, boolean violation) {
    }

    static Outcome decode(FrameDecoder.Role role, List<byte[]> chunks) {
        FuzzSupport.TrackingAllocator alloc = new FuzzSupport.TrackingAllocator();
        FrameDecoder decoder = new FrameDecoder(role);
        List<String> frames = new ArrayList<>();
        boolean[] violation = {false};
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast("decoder", decoder).addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                Frame f = (Frame) msg;
                frames.add(describe(f));
                if (f instanceof Frame.PacketFrame p) {
                    p.release();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
                assertThat(root).as("only protocol violations may come out of the decoder").isInstanceOf(MalformedFrameException.class);
                violation[0] = true;
            }
        });
        ChannelHandlerContext decoderCtx = ch.pipeline().context("decoder");
        boolean resumed = false;
        for (byte[] chunk : chunks) {
            ch.writeInbound(alloc.copy(chunk));
            if (role == FrameDecoder.Role.SERVER && !resumed && !frames.isEmpty()) {
                // The handshake would verify ClientInfo here; then decoding resumes with whatever followed it.
                resumed = true;
                try {
                    decoder.resume(decoderCtx);
                } catch (Exception e) {
                    // As the connection handler does with what resume throws.
                    decoderCtx.fireExceptionCaught(e);
                }
            }
        }
        ch.checkException();
        ch.finishAndReleaseAll();
        assertThat(alloc.unreleased()).as("buffers still referenced after the channel closed").isEmpty();
        return new Outcome(frames, violation[0]);
    }

    private static void splitInvariant(FrameDecoder.Role role, byte[] stream, List<Integer> cuts) {
        assertTimeoutPreemptively(PER_TRY, () -> {
            Outcome whole = decode(role, List.of(stream));
            Outcome cut = decode(role, FuzzSupport.split(stream, cuts));
            assertThat(cut).isEqualTo(whole);
        });
    }

    @Property(tries = TRIES)
    void randomServerStreams(@ForAll @Size(max = 400) byte[] stream, @ForAll @Size(max = 8) List<Integer> cuts) {
        splitInvariant(FrameDecoder.Role.SERVER, stream, cuts);
    }

    @Property(tries = TRIES)
    void randomClientStreams(@ForAll @Size(max = 400) byte[] stream, @ForAll @Size(max = 8) List<Integer> cuts) {
        splitInvariant(FrameDecoder.Role.CLIENT, stream, cuts);
    }

    @Property(tries = TRIES)
    void mutatedServerStreams(@ForAll("serverStreams") byte[] valid, @ForAll("edits") List<int[]> edits,
                              @ForAll @Size(max = 12) List<Integer> cuts) {
        splitInvariant(FrameDecoder.Role.SERVER, FuzzSupport.mutate(valid, edits), cuts);
    }

    @Property(tries = TRIES)
    void mutatedClientStreams(@ForAll("clientStreams") byte[] valid, @ForAll("edits") List<int[]> edits,
                              @ForAll @Size(max = 12) List<Integer> cuts) {
        splitInvariant(FrameDecoder.Role.CLIENT, FuzzSupport.mutate(valid, edits), cuts);
    }

    @Property(tries = 200)
    void validServerStreamsDecodeCompletely(@ForAll("serverStreams") byte[] valid, @ForAll @Size(max = 12) List<Integer> cuts) {
        assertTimeoutPreemptively(PER_TRY, () -> {
            Outcome o = decode(FrameDecoder.Role.SERVER, FuzzSupport.split(valid, cuts));
            assertThat(o.violation()).isFalse();
            assertThat(o.frames()).isNotEmpty();
            assertThat(o.frames().get(0)).startsWith("ClientInfo:");
        });
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return FuzzSupport.edits(4);
    }

    /** The frame a stream must start with, then up to eight others. */
    private static Arbitrary<byte[]> opening(Arbitrary<byte[]> first, Arbitrary<byte[]> later) {
        return Combinators.combine(first, later.list().ofMaxSize(8)).as((f, rest) -> {
            List<byte[]> all = new ArrayList<>();
            all.add(f);
            all.addAll(rest);
            return FuzzSupport.concat(all);
        });
    }

    @Provide
    Arbitrary<byte[]> serverStreams() {
        Arbitrary<byte[]> clientInfo = FuzzSupport.frames(FrameType.CLIENT_INFO, FrameType.MIN_CLIENT_INFO, 200);
        return opening(clientInfo, FuzzSupport.clientFrames(300, 64, 100));
    }

    @Provide
    Arbitrary<byte[]> clientStreams() {
        byte[] magic = FrameType.MAGIC;
        Arbitrary<byte[]> serverKey = FuzzSupport.bytes(32, 32).map(k -> {
            byte[] p = new byte[magic.length + 32];
            System.arraycopy(magic, 0, p, 0, magic.length);
            System.arraycopy(k, 0, p, magic.length, 32);
            return FuzzSupport.frame(FrameType.SERVER_KEY, p);
        });
        Arbitrary<byte[]> later = Arbitraries.oneOf(
                FuzzSupport.frames(FrameType.SERVER_INFO, 24, 80),
                FuzzSupport.frames(FrameType.RECV_PACKET, 32, 300),
                FuzzSupport.frames(FrameType.PEER_GONE, 32, 33),
                FuzzSupport.frames(FrameType.PEER_PRESENT, 32, 51),
                FuzzSupport.frames(FrameType.PING, 8, 8),
                FuzzSupport.frames(FrameType.PONG, 8, 8),
                FuzzSupport.frames(FrameType.RESTARTING, 8, 8),
                FuzzSupport.frames(FrameType.HEALTH, 0, 40),
                Arbitraries.just(FuzzSupport.frame(FrameType.KEEP_ALIVE, new byte[0])),
                FuzzSupport.unknownFrames(100));
        return opening(serverKey, later);
    }

    /**
     * While the handshake verifies ClientInfo the decoder holds everything after it and the channel does not read.
     * The decoder must not ask the transport for more in that state: a client could otherwise push unbounded data
     * into the held buffer during a slow admission check (with TLS, the TLS handler's read requests would chain).
     */
    @Test
    void pausedDecoderDoesNotAskForMoreInput() {
        ReadRequests reads = new ReadRequests();
        FrameDecoder decoder = new FrameDecoder(FrameDecoder.Role.SERVER);
        List<Object> out = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(reads, decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                out.add(msg);
                ctx.channel().config().setAutoRead(false);
            }
        });
        ch.writeInbound(Unpooled.wrappedBuffer(FuzzSupport.frame(FrameType.CLIENT_INFO, new byte[60])));
        assertThat(out).hasSize(1);
        int before = reads.count.get();
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(FuzzSupport.frame(FrameType.PING, new byte[8])));
        }
        assertThat(out).hasSize(1);
        assertThat(reads.count.get()).as("read requests while paused").isEqualTo(before);
        ch.finishAndReleaseAll();
    }

    /** Counts read() requests travelling towards the transport. */
    private static final class ReadRequests extends ChannelOutboundHandlerAdapter {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void read(ChannelHandlerContext ctx) {
            count.incrementAndGet();
            ctx.read();
        }
    }

    /** A comparable description of a decoded frame (records holding arrays compare by identity). */
    static String describe(Frame f) {
        if (f instanceof Frame.PacketFrame p) {
            return f.getClass().getSimpleName() + ":" + ByteBufUtil.hexDump(p.frame());
        }
        if (f instanceof Frame.ClientInfo ci) {
            return "ClientInfo:" + ci.clientKey() + ":" + ByteBufUtil.hexDump(ci.sealed());
        }
        if (f instanceof Frame.ServerInfo si) {
            return "ServerInfo:" + ByteBufUtil.hexDump(si.sealed());
        }
        if (f instanceof Frame.PeerPresent pp) {
            return "PeerPresent:" + pp.peer() + ":" + ByteBufUtil.hexDump(pp.ip16()) + ":" + pp.port() + ":" + pp.flags();
        }
        return f.toString();
    }
}
