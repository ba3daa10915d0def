package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.FrameWriter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import static io.jderper.server.RelayFixtures.stall;
import static io.jderper.server.RelayFixtures.unstall;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A connection's outbox on embedded channels: the disco queue beside the data queue with drops counted per kind
 * (C-31, C-36, C-39), the drain alternating the two, the burst a writable receiver absorbs on a shared loop, and
 * what a closing or closed connection does with packets (gone_disconnected, every buffer released).
 */
class OutboxPolicyTest {
    /** Where a test packet carries its id: after the six bytes of the disco magic. */
    private static final int ID_OFFSET = 8;
    private static final int PAYLOAD = 64;
    private static final byte[] DISCO_MAGIC = {0x54, 0x53, (byte) 0xf0, (byte) 0x9f, (byte) 0x92, (byte) 0xac};

    private final DerpServer server = RelayFixtures.server();
    private final DerpMetrics metrics = server.metrics();
    private final int depth = RelayFixtures.relayProperties().sendQueueDepth();
    @RegisterExtension
    final OpenChannels open = new OpenChannels();

    private EmbeddedChannel connect(NodePrivateKey key) {
        return open.connect(server, key);
    }

    private ClientConnection connectionOf(NodePublicKey key) {
        return server.registry().connections().stream().filter(c -> c.key().equals(key)).findFirst().orElseThrow();
    }

    /** A SendPacket to {@code dst} with a 64-byte payload carrying {@code id}; disco ones start with the magic. */
    private static ByteBuf sendPacket(NodePublicKey dst, int id, boolean disco) {
        ByteBuf header = FrameWriter.sendPacketHeader(UnpooledByteBufAllocator.DEFAULT, dst, PAYLOAD);
        ByteBuf frame = Unpooled.buffer(header.readableBytes() + PAYLOAD).writeBytes(header);
        header.release();
        return payload(frame, id, disco);
    }

    /** A RecvPacket from {@code src} as the relay hands it to a receiver's outbox. */
    private static ByteBuf recvPacket(NodePublicKey src, int id, boolean disco) {
        ByteBuf frame = Unpooled.buffer(FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH + PAYLOAD)
                .writeByte(FrameType.RECV_PACKET).writeInt(FrameType.KEY_LENGTH + PAYLOAD);
        src.setAt(frame, frame.writerIndex());
        frame.writerIndex(frame.writerIndex() + FrameType.KEY_LENGTH);
        return payload(frame, id, disco);
    }

    private static ByteBuf payload(ByteBuf frame, int id, boolean disco) {
        int start = frame.writerIndex();
        if (disco) {
            frame.writeBytes(DISCO_MAGIC);
        }
        frame.writerIndex(start + ID_OFFSET).writeInt(id);
        return frame.writeZero(PAYLOAD - ID_OFFSET - 4);
    }

    private static List<Integer> receivedIds(EmbeddedChannel ch) {
        return RelayFixtures.receivedIds(ch, ID_OFFSET);
    }

    @Test
    void discoPacketsWaitInTheirOwnQueueAndTheirDropsAreCountedAsDisco() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        stall(receiver);
        // Data first, enough to overflow the data queue by 4; then disco, overflowing its own queue by 2. A full data
        // queue does not make room at the expense of disco, nor the other way round.
        for (int i = 0; i < depth + 4; i++) {
            sender.writeInbound(sendPacket(receiverKey.publicKey(), i, false));
        }
        for (int i = 0; i < depth + 2; i++) {
            sender.writeInbound(sendPacket(receiverKey.publicKey(), 1000 + i, true));
        }
        receiver.runPendingTasks();
        assertThat(metrics.packetsReceivedDisco.sum()).as("C-31").isEqualTo(depth + 2);
        assertThat(metrics.packetsReceivedOther.sum()).isEqualTo(depth + 4);
        assertThat(metrics.packetsDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.OTHER)).isEqualTo(4);
        assertThat(metrics.packetsDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.DISCO)).isEqualTo(2);
        assertThat(metrics.bytesDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.OTHER)).isEqualTo(4L * PAYLOAD);
        assertThat(metrics.bytesDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.DISCO)).isEqualTo(2L * PAYLOAD);
        assertThat(metrics.packetsDropped(DropReason.QUEUE_TAIL, DerpMetrics.Kind.OTHER)).isZero();
        assertThat(metrics.packetsDropped(DropReason.QUEUE_TAIL, DerpMetrics.Kind.DISCO)).isZero();

        unstall(receiver);
        // The drain takes the two kinds in turn, data first, each queue oldest first.
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            expected.add(4 + i);
            expected.add(1002 + i);
        }
        assertThat(receivedIds(receiver)).containsExactlyElementsOf(expected);
        DistributionSummary batches = server.relayContext().batchSizes();
        assertThat(batches.count()).as("one drain, one flush").isEqualTo(1);
        assertThat(batches.max()).isEqualTo(2.0 * depth);
        assertThat(metrics.packetsSent.sum()).isEqualTo(2L * depth);
        assertThat(metrics.bytesSent.sum()).isEqualTo(2L * depth * PAYLOAD);
    }

    @Test
    void whenOneKindRunsOutTheDrainKeepsWritingTheOther() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        stall(receiver);
        sender.writeInbound(sendPacket(receiverKey.publicKey(), 1000, true));
        for (int i = 0; i < 4; i++) {
            sender.writeInbound(sendPacket(receiverKey.publicKey(), i, false));
        }
        sender.writeInbound(sendPacket(receiverKey.publicKey(), 1001, true));
        receiver.runPendingTasks();
        unstall(receiver);
        assertThat(receivedIds(receiver)).containsExactly(0, 1000, 1, 1001, 2, 3);
    }

    @Test
    void aBurstLargerThanTheQueueInOneReadReachesAWritableReceiverOnTheSameLoopWhole() {
        // Embedded channels all run on the calling thread: sender and receiver share the loop, so the scheduled drain
        // cannot run during the sender's read. The outbox writes out inline instead of dropping.
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        int count = 3 * depth + 5;
        sender.writeInbound(Unpooled.wrappedBuffer(RelayFixtures.sendPackets(receiverKey.publicKey(), 100, count)));
        assertThat(receivedIds(receiver)).hasSize(count);
        for (DropReason reason : DropReason.values()) {
            assertThat(metrics.packetsDropped(reason, DerpMetrics.Kind.OTHER)).as(reason.label()).isZero();
        }
        assertThat(metrics.packetsSent.sum()).isEqualTo(count);
    }

    @Test
    void aPacketForAClosingConnectionIsDroppedAsGoneAndReleased() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        ClientConnection c = connectionOf(receiverKey.publicKey());
        receiver.close();
        receiver.runPendingTasks();
        assertThat(c.isClosing()).isTrue();

        // A sender that looked the receiver up just before it unregistered still hands the packet over.
        ByteBuf data = recvPacket(RelayFixtures.randomKey(), 1, false);
        ByteBuf disco = recvPacket(RelayFixtures.randomKey(), 2, true);
        c.enqueue(data, false);
        c.enqueue(disco, true);
        assertThat(data.refCnt()).isZero();
        assertThat(disco.refCnt()).isZero();
        assertThat(metrics.packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER)).isEqualTo(1);
        assertThat(metrics.packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.DISCO)).isEqualTo(1);
        assertThat(metrics.bytesDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER)).isEqualTo(PAYLOAD);
        assertThat(metrics.bytesDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.DISCO)).isEqualTo(PAYLOAD);
        assertThat(receivedIds(receiver)).isEmpty();
    }

    @Test
    void closingEmptiesBothQueuesCountsThemAsGoneReleasesEveryBufferAndCancelsTheWriteTimeout() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        ClientConnection c = connectionOf(receiverKey.publicKey());
        stall(receiver);
        List<ByteBuf> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ByteBuf f = recvPacket(RelayFixtures.randomKey(), i, false);
            queued.add(f);
            c.enqueue(f, false);
        }
        for (int i = 0; i < 3; i++) {
            ByteBuf f = recvPacket(RelayFixtures.randomKey(), 100 + i, true);
            queued.add(f);
            c.enqueue(f, true);
        }
        sender.writeInbound(sendPacket(receiverKey.publicKey(), 200, false)); // and one through the relay
        receiver.runPendingTasks(); // the drain finds the channel unwritable and arms the write timeout
        assertThat(queued).allSatisfy(f -> assertThat(f.refCnt()).isEqualTo(1));

        receiver.close();
        receiver.runPendingTasks();
        assertThat(queued).allSatisfy(f -> assertThat(f.refCnt()).as("released on close").isZero());
        assertThat(metrics.packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER)).isEqualTo(6);
        assertThat(metrics.packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.DISCO)).isEqualTo(3);
        assertThat(metrics.bytesDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER)).isEqualTo(6L * PAYLOAD);
        assertThat(metrics.packetsSent.sum()).isZero();

        assertThat(receiver.runScheduledPendingTasks()).as("write timeout and keep-alive cancelled: nothing scheduled")
                .isEqualTo(-1);
        receiver.advanceTimeBy(1, TimeUnit.HOURS);
        receiver.runScheduledPendingTasks();
        assertThat(metrics.writeTimeouts.sum()).isZero();
        assertThat(sender.isActive()).isTrue();
    }

    /**
     * Eight threads hand packets to one outbox on a two-slot queue while its loop (a real one) finds the channel
     * unwritable: the offer-and-evict rounds race, and a packet's own round can lose (queue_tail). Whatever the
     * interleaving, every packet is dropped exactly once with a reason and every buffer is released. Which drops are
     * head and which tail depends on the interleaving, so only their sum is asserted.
     */
    @RepeatedTest(5)
    void racingSendersLoseNoBufferAndCountEveryDropOnce() throws Exception {
        RelayProperties defaults = RelayFixtures.relayProperties();
        RelayProperties props = new RelayProperties(true, 2, defaults.keepAlive(), defaults.keepAliveJitter(),
                defaults.handshakeTimeout(), Duration.ZERO, defaults.meshWriteTimeout(), defaults.drainPeriod(),
                defaults.restartReconnectIn(), defaults.restartTryFor(), defaults.readinessGrace(),
                defaults.tcpRttInterval());
        DerpMetrics m = new DerpMetrics();
        ClientRegistry registry = new ClientRegistry(m);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        RelayContext relay = new RelayContext(registry, m, props, DistributionSummary.builder("b").register(meters),
                DistributionSummary.builder("d").register(meters));
        ChannelHandlerContext ctx = RelayFixtures.idleContext();
        EmbeddedChannel ch = (EmbeddedChannel) ctx.channel();
        stall(ch);
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            ClientConnection owner = new ClientConnection(relay, ctx, RelayFixtures.randomKey(), RelayFixtures.REMOTE,
                    false, false, false);
            ConnectionOutbox outbox = new ConnectionOutbox(owner, relay, ctx, loop,
                    new PeerGoneTracker(owner, registry, loop), false);
            int threads = 8;
            int perThread = 2_000;
            ByteBuf[][] sent = new ByteBuf[threads][perThread];
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ByteBuf[] mine = sent[t];
                for (int i = 0; i < perThread; i++) {
                    mine[i] = recvPacket(NodePublicKey.ZERO, i, (i & 7) == 0);
                }
                senders.add(new Thread(() -> {
                    try {
                        start.await(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    for (int i = 0; i < perThread; i++) {
                        outbox.enqueue(mine[i], (i & 7) == 0);
                    }
                }));
            }
            senders.forEach(Thread::start);
            for (Thread t : senders) {
                t.join(TimeUnit.SECONDS.toMillis(30));
                assertThat(t.isAlive()).isFalse();
            }
            loop.submit(() -> { }).sync(); // the scheduled drains have run (and written nothing)
            outbox.dropQueued();

            long total = (long) threads * perThread;
            long dropped = 0;
            for (DerpMetrics.Kind kind : DerpMetrics.Kind.values()) {
                dropped += m.packetsDropped(DropReason.QUEUE_HEAD, kind) + m.packetsDropped(DropReason.QUEUE_TAIL, kind)
                        + m.packetsDropped(DropReason.GONE_DISCONNECTED, kind);
            }
            assertThat(dropped).isEqualTo(total);
            assertThat(m.packetsSent.sum()).isZero();
            for (ByteBuf[] mine : sent) {
                for (ByteBuf f : mine) {
                    assertThat(f.refCnt()).isZero();
                }
            }
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            ch.finishAndReleaseAll();
        }
    }
}
