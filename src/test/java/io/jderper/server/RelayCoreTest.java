package io.jderper.server;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.FrameWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jderper.server.RelayFixtures.stall;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay core on embedded channels, without Spring: duplicate-connection rules (C-60s of conformance.md, the
 * original's "last writer wins"), the drop-oldest queue policy and the write timeout. Each test runs in milliseconds.
 */
class RelayCoreTest {
    private final DerpServer server = RelayFixtures.server();
    @RegisterExtension
    final OpenChannels open = new OpenChannels();

    private EmbeddedChannel connect(NodePrivateKey key) {
        return open.connect(server, key);
    }

    /** One SendPacket to {@code dst} whose payload starts with {@code id}. */
    private static ByteBuf sendPacket(NodePublicKey dst, int id) {
        ByteBuf header = FrameWriter.sendPacketHeader(UnpooledByteBufAllocator.DEFAULT, dst, 64);
        ByteBuf frame = Unpooled.buffer(header.readableBytes() + 64).writeBytes(header).writeInt(id).writeZero(60);
        header.release();
        return frame;
    }

    private static List<Integer> receivedIds(EmbeddedChannel ch) {
        return RelayFixtures.receivedIds(ch, 0);
    }

    private static void send(EmbeddedChannel from, NodePublicKey to, int id) {
        from.writeInbound(sendPacket(to, id));
    }

    @Test
    void theNewestDuplicateGetsPacketsUntilAnOlderOneSpeaksAndTheLastWriterWins() {
        NodePrivateKey dup = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel first = connect(dup);
        EmbeddedChannel second = connect(dup);
        assertThat(server.metrics().currentDupClientKeys.get()).isEqualTo(1);
        assertThat(server.metrics().currentDupClientConns.get()).isEqualTo(2);

        send(sender, dup.publicKey(), 1);
        assertThat(receivedIds(second)).containsExactly(1);
        assertThat(receivedIds(first)).isEmpty();

        // Any frame from the older connection makes it the one packets go to.
        first.writeInbound(Unpooled.wrappedBuffer(new byte[]{FrameType.NOTE_PREFERRED, 0, 0, 0, 1, 0}));
        send(sender, dup.publicKey(), 2);
        assertThat(receivedIds(first)).containsExactly(2);
        assertThat(receivedIds(second)).isEmpty();

        // When the active one leaves, packets fall back to the other, and the key is no longer duplicated.
        first.close();
        first.runPendingTasks();
        send(sender, dup.publicKey(), 3);
        assertThat(receivedIds(second)).containsExactly(3);
        assertThat(server.metrics().currentDupClientKeys.get()).isZero();
        assertThat(server.metrics().currentDupClientConns.get()).isZero();
    }

    @Test
    void withThreeDuplicatesTheMostRecentlyActiveSurvivorTakesOver() {
        NodePrivateKey dup = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel a = connect(dup);
        EmbeddedChannel b = connect(dup);
        EmbeddedChannel c = connect(dup);
        byte[] notePreferred = {FrameType.NOTE_PREFERRED, 0, 0, 0, 1, 0};
        b.writeInbound(Unpooled.wrappedBuffer(notePreferred.clone()));
        a.writeInbound(Unpooled.wrappedBuffer(notePreferred.clone()));
        assertThat(server.metrics().currentDupClientConns.get()).isEqualTo(3);
        a.close();
        a.runPendingTasks();
        // a was last active, b before it: b, not the newest (c), takes over.
        send(sender, dup.publicKey(), 7);
        assertThat(receivedIds(b)).containsExactly(7);
        assertThat(receivedIds(c)).isEmpty();
        assertThat(server.metrics().currentDupClientConns.get()).isEqualTo(2);
    }

    @Test
    void aFullQueueLosesItsOldestPacketsAndKeepsTheNewestInOrder() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        stall(receiver);
        int depth = RelayFixtures.relayProperties().sendQueueDepth();
        int sent = depth + 10;
        for (int id = 0; id < sent; id++) {
            send(sender, receiverKey.publicKey(), id);
        }
        receiver.runPendingTasks();
        assertThat(server.metrics().packetsDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.OTHER)).isEqualTo(10);
        assertThat(server.metrics().packetsDropped(DropReason.QUEUE_TAIL, DerpMetrics.Kind.OTHER)).isZero();

        receiver.flush(); // the stalled bytes leave; the channel is writable again and the queue drains
        List<Integer> expected = new ArrayList<>();
        for (int id = 10; id < sent; id++) {
            expected.add(id);
        }
        assertThat(receivedIds(receiver)).containsExactlyElementsOf(expected);
    }

    @Test
    void aReceiverThatStaysUnwritablePastTheWriteTimeoutIsClosedAndOthersAreNot() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        stall(receiver);
        send(sender, receiverKey.publicKey(), 1);
        receiver.runPendingTasks();
        long timeout = RelayFixtures.relayProperties().writeTimeout().toMillis();

        receiver.advanceTimeBy(timeout - 100, TimeUnit.MILLISECONDS);
        receiver.runScheduledPendingTasks();
        assertThat(receiver.isActive()).as("still open before the timeout").isTrue();

        receiver.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        receiver.runScheduledPendingTasks();
        assertThat(receiver.isActive()).as("closed after the timeout").isFalse();
        assertThat(server.metrics().writeTimeouts.sum()).isEqualTo(1);
        assertThat(sender.isActive()).isTrue();
        assertThat(server.registry().isLocal(receiverKey.publicKey())).isFalse();
    }

    @Test
    void aReceiverThatRecoversInTimeKeepsItsConnectionAndGetsEverything() {
        NodePrivateKey receiverKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(NodePrivateKey.generate());
        EmbeddedChannel receiver = connect(receiverKey);
        stall(receiver);
        send(sender, receiverKey.publicKey(), 1);
        send(sender, receiverKey.publicKey(), 2);
        receiver.runPendingTasks();
        long timeout = RelayFixtures.relayProperties().writeTimeout().toMillis();
        receiver.advanceTimeBy(timeout / 2, TimeUnit.MILLISECONDS);
        receiver.flush();
        assertThat(receivedIds(receiver)).containsExactly(1, 2);
        receiver.advanceTimeBy(timeout, TimeUnit.MILLISECONDS);
        receiver.runScheduledPendingTasks();
        assertThat(receiver.isActive()).isTrue();
        assertThat(server.metrics().writeTimeouts.sum()).isZero();
    }
}
