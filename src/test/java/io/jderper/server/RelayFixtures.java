package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameWriter;
import io.jderper.protocol.FrameType;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay core without Spring, for unit tests and benchmarks: default relay settings, a server, handshaken embedded
 * channels. Builds in milliseconds what an application context takes seconds for.
 */
final class RelayFixtures {
    static final String UPSTREAM = "test.upstream";
    static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

    private RelayFixtures() {
    }

    static RelayProperties relayProperties() {
        return new RelayProperties(true, 32, Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMillis(500),
                Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO);
    }

    static RelayContext relayContext(ClientRegistry registry, DerpMetrics metrics) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        DistributionSummary batches = DistributionSummary.builder("bench_batches").register(meters);
        DistributionSummary depths = DistributionSummary.builder("bench_queue_depths").register(meters);
        return new RelayContext(registry, metrics, relayProperties(), batches, depths);
    }

    static DerpServer server() {
        return new DerpServer(new ServerIdentity(NodePrivateKey.generate()), relayProperties(), Optional.empty(),
                ClientAdmission.ALLOW_ALL, new DerpMetrics(), new SimpleMeterRegistry(),
                HandshakeCrypto.onCallingThread());
    }

    /** A random 32-byte key; lookups do not care whether it is a curve point. */
    static NodePublicKey randomKey() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return NodePublicKey.fromBytes(b);
    }

    /** A context on an embedded channel, for building connections that are never written to. */
    static ChannelHandlerContext idleContext() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(UPSTREAM, new ChannelInboundHandlerAdapter());
        return ch.pipeline().context(UPSTREAM);
    }

    /** The ClientInfo frame a client with {@code key} sends to {@code server}. */
    static ByteBuf clientInfo(ByteBufAllocator alloc, NodePrivateKey key, NodePublicKey server) {
        ClientInfoPayload payload = new ClientInfoPayload(null, FrameType.PROTOCOL_VERSION, true, false, "");
        byte[] sealed = NaclBox.between(key, server).seal(payload.toJson());
        return FrameWriter.encode(alloc, new Frame.ClientInfo(key.publicKey(), sealed));
    }

    /** An embedded channel taken over by {@code server} and handshaken as {@code key}; its outbound queue is empty. */
    static EmbeddedChannel connected(DerpServer server, NodePrivateKey key) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(UPSTREAM, new ChannelInboundHandlerAdapter());
        server.install(ch.pipeline(), UPSTREAM, new ConnectionInfo(REMOTE, false, false));
        ch.writeInbound(clientInfo(UnpooledByteBufAllocator.DEFAULT, key, server.identity().publicKey()));
        ch.runPendingTasks();
        drainOutbound(ch);
        if (!server.registry().isLocal(key.publicKey())) {
            throw new IllegalStateException("handshake did not register the client");
        }
        return ch;
    }

    /**
     * The ids of the RecvPacket frames written to {@code ch} since the last call, each read as an int at
     * {@code idOffset} in the packet's payload; everything read is released.
     */
    static List<Integer> receivedIds(EmbeddedChannel ch, int idOffset) {
        ch.runPendingTasks();
        List<Integer> ids = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            try {
                if (b.getUnsignedByte(b.readerIndex()) == FrameType.RECV_PACKET) {
                    ids.add(b.getInt(b.readerIndex() + FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH + idOffset));
                }
            } finally {
                ReferenceCountUtil.release(b);
            }
        }
        return ids;
    }

    static int drainOutbound(EmbeddedChannel ch) {
        int n = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
            n++;
        }
        return n;
    }

    /** {@code count} SendPacket frames to {@code dst}, each with {@code size} payload bytes, back to back. */
    static byte[] sendPackets(NodePublicKey dst, int size, int count) {
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer();
        for (int i = 0; i < count; i++) {
            ByteBuf header = FrameWriter.sendPacketHeader(UnpooledByteBufAllocator.DEFAULT, dst, size);
            b.writeBytes(header);
            header.release();
            for (int j = 0; j < size; j++) {
                b.writeByte(j);
            }
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    /** Makes {@code ch} unwritable: a tiny high-water mark and an unflushed write above it. */
    static void stall(EmbeddedChannel ch) {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ch.write(Unpooled.wrappedBuffer(new byte[64]));
        assertThat(ch.isWritable()).isFalse();
    }

    /** Lets the stalled bytes out with the default water marks back, so one drain can write everything queued. */
    static void unstall(EmbeddedChannel ch) {
        ch.config().setWriteBufferWaterMark(WriteBufferWaterMark.DEFAULT);
        ch.flush();
        assertThat(ch.isWritable()).isTrue();
    }
}
