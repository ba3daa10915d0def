package io.jderper.server;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.PeerGoneReason;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Steady-state relay behaviour over real loopback connections (conformance §4–§7). */
class RelayConformanceTest extends DerpServerTestBase {

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    static byte[] disco(int n) {
        byte[] b = bytes(n, 7);
        byte[] magic = {0x54, 0x53, (byte) 0xF0, (byte) 0x9F, (byte) 0x92, (byte) 0xAC};
        System.arraycopy(magic, 0, b, 0, 6);
        return b;
    }

    @Test
    void c27_basicRelayAndCounters() throws Exception {
        long recv = metrics.packetsReceived.sum();
        long sent = metrics.packetsSent.sum();
        long bytesIn = metrics.bytesReceived.sum();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            a.client.send(b.publicKey(), new byte[]{(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef});
            TestClient.Packet p = b.nextPacket();
            assertThat(p.source()).isEqualTo(a.publicKey());
            assertThat(p.data()).containsExactly(0xde, 0xad, 0xbe, 0xef);
            assertThat(a.silentFor(Duration.ofMillis(300))).isTrue();
            assertThat(metrics.packetsReceived.sum() - recv).isEqualTo(1);
            assertThat(metrics.bytesReceived.sum() - bytesIn).isEqualTo(4);
            await().atMost(Duration.ofSeconds(2)).until(() -> metrics.packetsSent.sum() - sent == 1);
        }
    }

    @Test
    void c28_selfSendAndEmptyPayload() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            a.client.send(a.publicKey(), new byte[]{1, 2, 3});
            TestClient.Packet self = a.nextPacket();
            assertThat(self.source()).isEqualTo(a.publicKey());
            a.client.send(b.publicKey(), new byte[0]);
            TestClient.Packet empty = b.nextPacket();
            assertThat(empty.data()).isEmpty();
        }
    }

    @Test
    void c29_maximumPacketDeliveredOversizedClosesOnlySender() throws Exception {
        long malformed = metrics.malformedFrames.sum();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl());
             TestClient c = TestClient.connect(derpUrl())) {
            byte[] max = bytes(65536, 3);
            a.client.send(b.publicKey(), max);
            assertThat(b.nextPacket().data()).isEqualTo(max);
            // 65 537 bytes: the client helper refuses, so write the frame by hand.
            var frame = Unpooled.buffer().writeByte(0x04).writeInt(32 + 65537);
            b.publicKey().writeTo(frame);
            frame.writeBytes(new byte[65537]);
            a.client.writeRaw(frame);
            assertThat(a.awaitClosed(Duration.ofSeconds(2))).isTrue();
            // A short SendPacket (31 bytes) closes its sender too.
            c.client.writeRaw(Unpooled.buffer().writeByte(0x04).writeInt(31).writeBytes(new byte[31]));
            assertThat(c.awaitClosed(Duration.ofSeconds(2))).isTrue();
            assertThat(metrics.malformedFrames.sum() - malformed).isEqualTo(2);
            // B stays usable.
            try (TestClient d = TestClient.connect(derpUrl())) {
                d.client.send(b.publicKey(), new byte[]{9});
                assertThat(b.await(TestClient.Packet.class, p -> p.source().equals(d.publicKey()), Duration.ofSeconds(2)).data())
                        .containsExactly(9);
            }
        }
    }

    @Test
    void c30_inOrderDeliveryAndEveryLossCounted() throws Exception {
        long dropsBefore = queueDrops();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            for (int i = 0; i < 1000; i++) {
                byte[] p = new byte[100];
                p[0] = (byte) (i >> 8);
                p[1] = (byte) i;
                a.client.send(b.publicKey(), Unpooled.wrappedBuffer(p), (i % 8) == 7);
                if ((i % 8) == 7) {
                    Thread.sleep(1); // pace below the queue depth; losses beyond that must still be counted
                }
            }
            a.client.flush();
            int last = -1;
            int received = 0;
            Object o;
            while ((o = b.next(Duration.ofMillis(700))) != null) {
                byte[] d = ((TestClient.Packet) o).data();
                int seq = ((d[0] & 0xFF) << 8) | (d[1] & 0xFF);
                assertThat(seq).as("packets arrive in send order").isGreaterThan(last);
                last = seq;
                received++;
            }
            assertThat(received + (queueDrops() - dropsBefore)).isEqualTo(1000);
            assertThat(received).as("at least a queue depth arrives").isGreaterThanOrEqualTo(32);
        }
    }

    private long queueDrops() {
        return metrics.packetsDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.OTHER)
                + metrics.packetsDropped(DropReason.QUEUE_TAIL, DerpMetrics.Kind.OTHER);
    }

    @Test
    void c31_discoClassification() throws Exception {
        long disco = metrics.packetsReceivedDisco.sum();
        long other = metrics.packetsReceivedOther.sum();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            a.client.send(b.publicKey(), disco(62));
            a.client.send(b.publicKey(), disco(61));
            b.nextPacket();
            b.nextPacket();
            assertThat(metrics.packetsReceivedDisco.sum() - disco).isEqualTo(1);
            assertThat(metrics.packetsReceivedOther.sum() - other).isEqualTo(1);
        }
    }

    @Test
    void c32_c33_c34_unknownDestination() throws Exception {
        NodePublicKey x = io.jderper.key.NodePrivateKey.generate().publicKey();
        long unknownOther = metrics.packetsDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.OTHER);
        long unknownOtherBytes = metrics.bytesDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.OTHER);
        try (TestClient a = TestClient.connect(derpUrl())) {
            a.client.send(x, bytes(100, 1));
            assertThat(a.silentFor(Duration.ofMillis(500))).isTrue();
            assertThat(metrics.packetsDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.OTHER) - unknownOther).isEqualTo(1);
            assertThat(metrics.bytesDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.OTHER) - unknownOtherBytes).isEqualTo(100);

            for (int i = 0; i < 10; i++) {
                a.client.send(x, disco(62));
            }
            int notHere = 0;
            Object o;
            while ((o = a.next(Duration.ofMillis(500))) != null) {
                assertThat(o).isInstanceOf(Frame.PeerGone.class);
                assertThat(((Frame.PeerGone) o).reason()).isEqualTo(PeerGoneReason.NOT_HERE);
                assertThat(((Frame.PeerGone) o).peer()).isEqualTo(x);
                notHere++;
            }
            assertThat(notHere).isEqualTo(3);
            Thread.sleep(1000);
            a.client.send(x, disco(62));
            assertThat(a.next(Duration.ofSeconds(1))).isInstanceOf(Frame.PeerGone.class);
        }
    }

    @Test
    void c35_peerGoneOnlyToPastReceiversOnce() throws Exception {
        try (TestClient b = TestClient.connect(derpUrl()); TestClient c = TestClient.connect(derpUrl())) {
            io.jderper.key.NodePrivateKey aKey = io.jderper.key.NodePrivateKey.generate();
            long frames = metrics.peerGoneDisconnectedFrames.sum();
            TestClient a = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            a.client.send(b.publicKey(), new byte[]{1});
            b.nextPacket();
            a.close();
            Frame.PeerGone gone = (Frame.PeerGone) b.next(Duration.ofSeconds(2));
            assertThat(gone.peer()).isEqualTo(aKey.publicKey());
            assertThat(gone.reason()).isEqualTo(PeerGoneReason.DISCONNECTED);
            TestClient again = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            again.close();
            assertThat(b.silentFor(Duration.ofMillis(500))).isTrue();
            assertThat(c.silentFor(Duration.ofMillis(100))).isTrue();
            assertThat(metrics.peerGoneDisconnectedFrames.sum() - frames).isEqualTo(1);
        }
    }

    @Test
    void c36_c37_slowReceiverNeverBlocksSenderAndTimesOut() throws Exception {
        long timeouts = metrics.writeTimeouts.sum();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient c = TestClient.connect(derpUrl())) {
            TestClient b = TestClient.connect(derpUrl());
            b.client.channel().config().setAutoRead(false); // B stops reading
            byte[] big = new byte[65000];
            for (int i = 0; i < 2000; i++) {
                a.client.send(b.publicKey(), Unpooled.wrappedBuffer(big), (i % 32) == 31);
            }
            a.client.flush();
            a.client.send(c.publicKey(), new byte[]{42});
            assertThat(c.await(TestClient.Packet.class, p -> p.data().length == 1, Duration.ofSeconds(10)).data()).containsExactly(42);
            assertThat(a.client.isOpen()).isTrue();
            long drops = metrics.packetsDropped(DropReason.QUEUE_HEAD, DerpMetrics.Kind.OTHER)
                    + metrics.packetsDropped(DropReason.QUEUE_TAIL, DerpMetrics.Kind.OTHER)
                    + metrics.packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER);
            assertThat(drops).isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() -> metrics.writeTimeouts.sum() > timeouts);
            await().atMost(Duration.ofSeconds(5)).until(() -> !server.registry().isLocal(b.publicKey()));
            b.client.close();
        }
    }

    @Test
    void c40_c41_pingPongAndLimits() throws Exception {
        long got = metrics.gotPing.sum();
        try (TestClient a = TestClient.connect(derpUrl())) {
            a.client.writeRaw(Unpooled.buffer().writeByte(0x12).writeInt(8).writeLong(0x0102030405060708L));
            Frame.Pong pong = (Frame.Pong) a.next();
            assertThat(pong.data()).isEqualTo(0x0102030405060708L);
            byte[] longPing = bytes(1000, 5);
            a.client.writeRaw(Unpooled.buffer().writeByte(0x12).writeInt(1000).writeBytes(longPing));
            Frame.Pong pong2 = (Frame.Pong) a.next();
            assertThat(pong2.data()).isEqualTo(Unpooled.wrappedBuffer(longPing).getLong(0));
            a.client.ping().get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        try (TestClient shortPing = TestClient.connect(derpUrl()); TestClient longPing = TestClient.connect(derpUrl())) {
            shortPing.client.writeRaw(Unpooled.buffer().writeByte(0x12).writeInt(7).writeBytes(new byte[7]));
            longPing.client.writeRaw(Unpooled.buffer().writeByte(0x12).writeInt(1001).writeBytes(new byte[1001]));
            assertThat(shortPing.awaitClosed(Duration.ofSeconds(2))).isTrue();
            assertThat(longPing.awaitClosed(Duration.ofSeconds(2))).isTrue();
        }
        assertThat(metrics.gotPing.sum() - got).isEqualTo(5);
    }

    @Test
    void c42_notePreferred() throws Exception {
        long home = metrics.currentHomeConnections.get();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient bad = TestClient.connect(derpUrl())) {
            a.client.notePreferred(true);
            await().atMost(Duration.ofSeconds(2)).until(() -> metrics.currentHomeConnections.get() == home + 1);
            a.client.notePreferred(true);
            a.client.ping().get(2, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(metrics.currentHomeConnections.get()).isEqualTo(home + 1);
            a.client.notePreferred(false);
            await().atMost(Duration.ofSeconds(2)).until(() -> metrics.currentHomeConnections.get() == home);
            bad.client.writeRaw(Unpooled.buffer().writeByte(0x07).writeInt(2).writeByte(1).writeByte(1));
            assertThat(bad.awaitClosed(Duration.ofSeconds(2))).isTrue();
        }
    }

    @Test
    void c43_unknownAndUnexpectedFramesIgnored() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            var raw = Unpooled.buffer();
            raw.writeByte(0x7f).writeInt(10).writeBytes(new byte[10]);
            raw.writeByte(0x06).writeInt(0);
            raw.writeByte(0x13).writeInt(8).writeLong(1);
            raw.writeByte(0x03).writeInt(4).writeInt(0);
            raw.writeByte(0x55).writeInt(1_000_000).writeBytes(new byte[1_000_000]);
            a.client.writeRaw(raw);
            a.client.ping().get(5, java.util.concurrent.TimeUnit.SECONDS);
            a.client.send(b.publicKey(), new byte[]{5});
            assertThat(b.nextPacket().data()).containsExactly(5);
            assertThat(a.client.isOpen()).isTrue();
        }
    }

    @Test
    void c44_c52_privilegedFramesNeedTheMeshKey() throws Exception {
        try (TestClient b = TestClient.connect(derpUrl())) {
            TestClient a = TestClient.connect(derpUrl());
            a.client.watchConns();
            assertThat(a.awaitClosed(Duration.ofSeconds(2))).isTrue();
            TestClient a2 = TestClient.connect(derpUrl());
            a2.client.closePeer(b.publicKey());
            assertThat(a2.awaitClosed(Duration.ofSeconds(2))).isTrue();
            TestClient a3 = TestClient.connect(derpUrl());
            a3.client.forward(a3.publicKey(), b.publicKey(), Unpooled.wrappedBuffer(new byte[]{(byte) 0xde, (byte) 0xad}));
            assertThat(a3.awaitClosed(Duration.ofSeconds(2))).isTrue();
            // A well-formed but wrong mesh key is a regular client (C-22, C-52).
            TestClient wrong = TestClient.connect(derpUrl(), DerpClientOptions.defaults()
                    .withMeshKey(io.jderper.key.MeshKey.parse("00".repeat(31) + "01")));
            wrong.client.watchConns();
            assertThat(wrong.awaitClosed(Duration.ofSeconds(2))).isTrue();
            assertThat(b.client.isOpen()).isTrue();
            assertThat(b.silentFor(Duration.ofMillis(200))).isTrue();
        }
    }

    @Test
    void c45_c47_watcherSnapshotAndUpdates() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl());
             TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(MESH_KEY))) {
            m.client.watchConns();
            java.util.Map<NodePublicKey, Frame.PeerPresent> snapshot = new java.util.HashMap<>();
            Object o;
            while ((o = m.next(Duration.ofMillis(500))) != null) {
                if (o instanceof Frame.PeerPresent pp) {
                    snapshot.put(pp.peer(), pp);
                }
            }
            for (TestClient who : new TestClient[]{a, b, m}) {
                Frame.PeerPresent pp = snapshot.get(who.publicKey());
                assertThat(pp).as("PeerPresent for %s", who.publicKey()).isNotNull();
                byte[] expectedIp = new byte[16];
                expectedIp[10] = (byte) 0xFF;
                expectedIp[11] = (byte) 0xFF;
                expectedIp[12] = 127;
                expectedIp[15] = 1;
                assertThat(pp.ip16()).isEqualTo(expectedIp);
                assertThat(pp.port()).isEqualTo(((java.net.InetSocketAddress) who.client.channel().localAddress()).getPort());
                assertThat(pp.flags()).isEqualTo(who == m ? 0x02 : 0x01);
            }
            TestClient c = TestClient.connect(derpUrl());
            m.await(Frame.PeerPresent.class, p -> p.peer().equals(c.publicKey()), Duration.ofSeconds(2));
            c.close();
            Frame.PeerGone gone = m.await(Frame.PeerGone.class, p -> p.peer().equals(c.publicKey()), Duration.ofSeconds(2));
            assertThat(gone.reason()).isEqualTo(PeerGoneReason.DISCONNECTED);

            io.jderper.key.NodePrivateKey dupKey = io.jderper.key.NodePrivateKey.generate();
            TestClient d1 = TestClient.connect(derpUrl(), dupKey, DerpClientOptions.defaults());
            TestClient d2 = TestClient.connect(derpUrl(), dupKey, DerpClientOptions.defaults());
            m.await(Frame.PeerPresent.class, p -> p.peer().equals(dupKey.publicKey()), Duration.ofSeconds(2));
            m.await(Frame.PeerPresent.class, p -> p.peer().equals(dupKey.publicKey()), Duration.ofSeconds(2));
            d1.close();
            Thread.sleep(300);
            d2.close();
            m.await(Frame.PeerGone.class, p -> p.peer().equals(dupKey.publicKey()), Duration.ofSeconds(2));
            assertThat(m.next(Duration.ofMillis(300))).isNull();
        }
    }

    @Test
    void c46_presentFlags() throws Exception {
        long notIdeal = metrics.currentNotIdealConnections.get();
        try (TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(MESH_KEY))) {
            m.client.watchConns();
            TestClient p = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withProber(true));
            TestClient q = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withIdealNode("900a"));
            TestClient r = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(MESH_KEY).withProber(true));
            assertThat(m.await(Frame.PeerPresent.class, x -> x.peer().equals(p.publicKey()), Duration.ofSeconds(2)).flags()).isEqualTo(0x04);
            assertThat(m.await(Frame.PeerPresent.class, x -> x.peer().equals(q.publicKey()), Duration.ofSeconds(2)).flags()).isEqualTo(0x08);
            assertThat(m.await(Frame.PeerPresent.class, x -> x.peer().equals(r.publicKey()), Duration.ofSeconds(2)).flags()).isEqualTo(0x06);
            assertThat(metrics.currentNotIdealConnections.get()).isEqualTo(notIdeal + 1);
            p.close();
            q.close();
            r.close();
        }
    }

    @Test
    void c48_closePeer() throws Exception {
        io.jderper.key.NodePrivateKey aKey = io.jderper.key.NodePrivateKey.generate();
        try (TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(MESH_KEY))) {
            TestClient a1 = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            TestClient a2 = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            m.client.closePeer(aKey.publicKey());
            assertThat(a1.awaitClosed(Duration.ofSeconds(2))).isTrue();
            assertThat(a2.awaitClosed(Duration.ofSeconds(2))).isTrue();
            m.client.closePeer(io.jderper.key.NodePrivateKey.generate().publicKey());
            m.client.ping().get(2, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(m.client.isOpen()).isTrue();
        }
    }

    @Test
    void c49_c50_forwardPacket() throws Exception {
        long fwdIn = metrics.packetsForwardedIn.sum();
        long received = metrics.packetsReceived.sum();
        long unknownFwd = metrics.packetsDropped(DropReason.UNKNOWN_DEST_ON_FWD, DerpMetrics.Kind.OTHER);
        NodePublicKey s = io.jderper.key.NodePrivateKey.generate().publicKey();
        NodePublicKey x = io.jderper.key.NodePrivateKey.generate().publicKey();
        try (TestClient b = TestClient.connect(derpUrl());
             TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(MESH_KEY))) {
            m.client.forward(s, b.publicKey(), Unpooled.wrappedBuffer(new byte[]{(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}));
            TestClient.Packet p = b.nextPacket();
            assertThat(p.source()).isEqualTo(s);
            assertThat(p.data()).containsExactly(0xde, 0xad, 0xbe, 0xef);
            assertThat(metrics.packetsForwardedIn.sum() - fwdIn).isEqualTo(1);
            assertThat(metrics.packetsReceived.sum()).isEqualTo(received);

            m.client.forward(s, x, Unpooled.wrappedBuffer(bytes(10, 0)));
            m.client.forward(s, x, Unpooled.wrappedBuffer(disco(62)));
            Frame.PeerGone gone = m.await(Frame.PeerGone.class, g -> g.peer().equals(x), Duration.ofSeconds(2));
            assertThat(gone.reason()).isEqualTo(PeerGoneReason.NOT_HERE);
            assertThat(metrics.packetsDropped(DropReason.UNKNOWN_DEST_ON_FWD, DerpMetrics.Kind.OTHER) - unknownFwd).isEqualTo(1);
        }
    }

    @Test
    void c53_c54_c55_duplicateConnections() throws Exception {
        long dupTotal = metrics.totalDupClientConns.sum();
        io.jderper.key.NodePrivateKey aKey = io.jderper.key.NodePrivateKey.generate();
        try (TestClient b = TestClient.connect(derpUrl())) {
            TestClient a1 = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            TestClient a2 = TestClient.connect(derpUrl(), aKey, DerpClientOptions.defaults());
            assertThat(metrics.currentDupClientKeys.get()).isGreaterThanOrEqualTo(1);
            assertThat(metrics.totalDupClientConns.sum() - dupTotal).isEqualTo(1);
            assertThat(server.registry().consistencyProblems()).isNotEmpty();

            b.client.send(aKey.publicKey(), new byte[]{1});
            assertThat(a2.nextPacket().data()).containsExactly(1);
            assertThat(a1.silentFor(Duration.ofMillis(200))).isTrue();

            a1.client.ping().get(2, java.util.concurrent.TimeUnit.SECONDS); // last writer becomes active
            b.client.send(aKey.publicKey(), new byte[]{2});
            assertThat(a1.await(TestClient.Packet.class, p -> true, Duration.ofSeconds(2)).data()).containsExactly(2);
            assertThat(a2.silentFor(Duration.ofMillis(200))).isTrue();

            a1.close();
            await().atMost(Duration.ofSeconds(2)).until(() -> server.registry().consistencyProblems().isEmpty());
            b.client.send(aKey.publicKey(), new byte[]{3});
            assertThat(a2.nextPacket().data()).containsExactly(3);
            assertThat(b.silentFor(Duration.ofMillis(200))).isTrue();
            a2.close();
        }
    }

    @Test
    void c83_gaugesFollowConnections() throws Exception {
        long conns = metrics.currentConnections.get();
        long local = metrics.clientsLocal.get();
        long total = metrics.clientsTotal.get();
        TestClient a = TestClient.connect(derpUrl());
        assertThat(metrics.currentConnections.get()).isEqualTo(conns + 1);
        assertThat(metrics.clientsLocal.get()).isEqualTo(local + 1);
        assertThat(metrics.clientsTotal.get()).isEqualTo(total + 1);
        a.close();
        await().atMost(Duration.ofSeconds(2)).until(() -> metrics.currentConnections.get() == conns
                && metrics.clientsLocal.get() == local && metrics.clientsTotal.get() == total);
    }

    @Test
    void webSocketRelay_c09() throws Exception {
        long ws = metrics.websocketAccepts.sum();
        try (TestClient a = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withWebSocket(true));
             TestClient b = TestClient.connect(derpUrl())) {
            assertThat(metrics.websocketAccepts.sum() - ws).isEqualTo(1);
            a.client.send(b.publicKey(), new byte[]{1, 2});
            assertThat(b.nextPacket().data()).containsExactly(1, 2);
            byte[] big = bytes(30000, 1);
            b.client.send(a.publicKey(), big);
            assertThat(a.nextPacket().data()).isEqualTo(big);
            assertThat(Arrays.equals(big, big)).isTrue();
        }
    }
}
