package io.jderper.mesh;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.MeshKey;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.PeerGoneReason;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DropReason;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three whole nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (same port), each listing all three as
 * {@code derper.mesh.with} like a real region: node A recognises its own entry by name (its hostname is its address),
 * B and C by the server key their link to themselves meets (the original's self-connect rule).
 */
class MeshClusterTest {
    static MeshNode a;
    static MeshNode b;
    static MeshNode c;
    static List<MeshNode> nodes;

    @BeforeAll
    static void startCluster() throws Exception {
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2", "127.0.0.3");
        // B is listed by a name plus a dial host, as the Helm chart lists pods: URL host node-b.test, TCP to 127.0.0.2.
        String with = "--derper.mesh.with=127.0.0.1:" + port + ",node-b.test:" + port + "/127.0.0.2,127.0.0.3:" + port;
        List<String> common = List.of("--derper.mesh.key=" + MeshNode.MESH_KEY, with);
        a = MeshNode.start("127.0.0.1", "127.0.0.1", port, common);
        b = MeshNode.start("node-b", "127.0.0.2", port, common);
        c = MeshNode.start("node-c", "127.0.0.3", port, common);
        nodes = List.of(a, b, c);
        for (MeshNode n : nodes) {
            await(Duration.ofSeconds(15), () -> n.mesh().linksUp() == 2, n + " has both siblings up");
        }
    }

    @AfterAll
    static void stopCluster() {
        if (nodes != null) {
            nodes.forEach(MeshNode::stop);
        }
    }

    static void awaitKnown(MeshNode node, NodePublicKey key) throws InterruptedException {
        await(Duration.ofSeconds(5), () -> node.server().registry().isKnown(key), node + " knows " + key.shortString());
    }

    static void awaitKnownEverywhere(TestClient... clients) throws InterruptedException {
        for (MeshNode n : nodes) {
            for (TestClient t : clients) {
                awaitKnown(n, t.publicKey());
            }
        }
    }

    @Test
    void c58_selfEntriesIgnoredAndLinksPresentTheServerKeyAsMeshPeer() throws Exception {
        assertThat(a.mesh().linkStatus()).hasSize(2).allMatch(s -> s.state() == MeshLink.State.UP);
        for (MeshNode n : List.of(b, c)) {
            assertThat(n.mesh().linkStatus()).hasSize(3);
            assertThat(n.mesh().linkStatus()).filteredOn(s -> s.state() == MeshLink.State.SELF).singleElement()
                    .satisfies(s -> assertThat(s.name()).isEqualTo(n == b ? "node-b.test:" + b.port + "/127.0.0.2" : n.entry()));
            assertThat(n.mesh().linksDown()).isZero();
        }
        // A watcher on B sees A's link as a mesh peer under A's server key.
        try (TestClient m = TestClient.connect(b.derpUrl(), DerpClientOptions.defaults().withMeshKey(MeshKey.parse(MeshNode.MESH_KEY)))) {
            m.client.watchConns();
            Frame.PeerPresent p = m.await(Frame.PeerPresent.class,
                    x -> x.peer().equals(a.server().identity().publicKey()), Duration.ofSeconds(2));
            assertThat(p.flags()).isEqualTo(0x02);
        }
    }

    @Test
    void c59_clientOnAReachesClientOnC() throws Exception {
        try (TestClient x = TestClient.connect(a.derpUrl()); TestClient y = TestClient.connect(c.derpUrl())) {
            awaitKnown(a, y.publicKey());
            awaitKnown(c, x.publicKey());
            long outA = a.metrics().packetsForwardedOut.sum();
            long inC = c.metrics().packetsForwardedIn.sum();
            long bytesA = a.meshMetrics().bytesForwardedOut();
            x.client.send(y.publicKey(), new byte[]{1, 2, 3});
            TestClient.Packet p = y.await(TestClient.Packet.class, q -> true, Duration.ofSeconds(1));
            assertThat(p.source()).isEqualTo(x.publicKey());
            assertThat(p.data()).containsExactly(1, 2, 3);
            assertThat(a.metrics().packetsForwardedOut.sum() - outA).isEqualTo(1);
            await(Duration.ofSeconds(1), () -> c.metrics().packetsForwardedIn.sum() - inC == 1, "C counted the forwarded packet");
            assertThat(a.meshMetrics().bytesForwardedOut() - bytesA).isEqualTo(3);
            assertThat(a.metrics().clientsRemote()).isGreaterThanOrEqualTo(1);

            y.client.send(x.publicKey(), new byte[]{4});
            assertThat(x.await(TestClient.Packet.class, q -> true, Duration.ofSeconds(1)).source()).isEqualTo(y.publicKey());
        }
    }

    @Test
    void c60_peerGoneCrossesTheMesh() throws Exception {
        try (TestClient y = TestClient.connect(c.derpUrl())) {
            TestClient x = TestClient.connect(a.derpUrl());
            awaitKnown(a, y.publicKey());
            awaitKnown(c, x.publicKey());
            x.client.send(y.publicKey(), new byte[]{9});
            y.await(TestClient.Packet.class, q -> true, Duration.ofSeconds(1));
            x.close();
            Frame.PeerGone gone = y.await(Frame.PeerGone.class, g -> g.peer().equals(x.publicKey()), Duration.ofSeconds(2));
            assertThat(gone.reason()).isEqualTo(PeerGoneReason.DISCONNECTED);
            for (MeshNode n : nodes) {
                await(Duration.ofSeconds(2), () -> !n.server().registry().isKnown(x.publicKey()), n + " forgot the client");
            }
        }
    }

    @Test
    void c63_localConnectionWinsOverTheMesh() throws Exception {
        NodePrivateKey both = NodePrivateKey.generate();
        try (TestClient onA = TestClient.connect(a.derpUrl(), both, DerpClientOptions.defaults());
             TestClient onC = TestClient.connect(c.derpUrl(), both, DerpClientOptions.defaults());
             TestClient sender = TestClient.connect(a.derpUrl())) {
            awaitKnown(c, sender.publicKey());
            await(Duration.ofSeconds(5), () -> a.server().registry().isLocal(onA.publicKey()), "A has the key locally");
            long outA = a.metrics().packetsForwardedOut.sum();
            sender.client.send(onA.publicKey(), new byte[]{7});
            assertThat(onA.await(TestClient.Packet.class, q -> true, Duration.ofSeconds(1)).data()).containsExactly(7);
            assertThat(onC.silentFor(Duration.ofMillis(500))).isTrue();
            assertThat(a.metrics().packetsForwardedOut.sum()).isEqualTo(outA);
        }
    }

    @Test
    void clientThatMovesFromAToBIsReachableAgainWithinBoundedTime() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        try (TestClient sender = TestClient.connect(c.derpUrl())) {
            TestClient first = TestClient.connect(a.derpUrl(), key, DerpClientOptions.defaults());
            awaitKnown(c, first.publicKey());
            sender.client.send(first.publicKey(), new byte[]{1});
            assertThat(first.await(TestClient.Packet.class, q -> true, Duration.ofSeconds(1)).data()).containsExactly(1);

            long moved = System.nanoTime();
            first.close();
            try (TestClient second = TestClient.connect(b.derpUrl(), key, DerpClientOptions.defaults())) {
                long deadline = moved + Duration.ofSeconds(5).toNanos();
                TestClient.Packet got = null;
                while (got == null && System.nanoTime() < deadline) {
                    sender.client.send(second.publicKey(), new byte[]{2});
                    Object o = second.next(Duration.ofMillis(50));
                    if (o instanceof TestClient.Packet p) {
                        got = p;
                    }
                }
                assertThat(got).as("packet to the moved client within 5 s").isNotNull();
                assertThat(got.source()).isEqualTo(sender.publicKey());
                System.out.printf("mesh: moved client reachable again after %d ms%n", (System.nanoTime() - moved) / 1_000_000);
                await(Duration.ofSeconds(2), () -> c.server().registry().isKnown(key.publicKey()), "C still knows the key");
            }
        }
    }

    /** Paced traffic (no queue can overflow): every packet sent across the mesh arrives. */
    @Test
    void boundedCrossNodeTrafficIsDeliveredCompletely() throws Exception {
        List<TestClient> clients = new ArrayList<>();
        try {
            for (MeshNode n : nodes) {
                for (int i = 0; i < 3; i++) {
                    clients.add(TestClient.connect(n.derpUrl()));
                }
            }
            awaitKnownEverywhere(clients.toArray(TestClient[]::new));
            long outBefore = sum(DerpMetricsField.FORWARDED_OUT);
            long inBefore = sum(DerpMetricsField.FORWARDED_IN);
            int rounds = 40;
            long sent = 0;
            long delivered = 0;
            for (int r = 0; r < rounds; r++) {
                for (int s = 0; s < clients.size(); s++) {
                    for (int d = 0; d < clients.size(); d++) {
                        if (s / 3 == d / 3) {
                            continue;
                        }
                        byte[] payload = ByteBuffer.allocate(12).putInt(s).putInt(d).putInt(r).array();
                        clients.get(s).client.send(clients.get(d).publicKey(), payload);
                        sent++;
                    }
                }
                for (int d = 0; d < clients.size(); d++) {
                    for (int k = 0; k < 6; k++) {
                        TestClient.Packet p = clients.get(d).await(TestClient.Packet.class, q -> true, Duration.ofSeconds(5));
                        ByteBuffer bb = ByteBuffer.wrap(p.data());
                        int src = bb.getInt();
                        assertThat(bb.getInt()).isEqualTo(d);
                        assertThat(bb.getInt()).isEqualTo(r);
                        assertThat(p.source()).isEqualTo(clients.get(src).publicKey());
                        delivered++;
                    }
                }
            }
            System.out.printf("mesh paced traffic: delivered %d / sent %d%n", delivered, sent);
            assertThat(delivered).isEqualTo(sent).isEqualTo(rounds * 9L * 6);
            assertThat(sum(DerpMetricsField.FORWARDED_OUT) - outBefore).isEqualTo(sent);
            long expected = sent;
            await(Duration.ofSeconds(2), () -> sum(DerpMetricsField.FORWARDED_IN) - inBefore == expected, "every forwarded packet counted in");
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    /**
     * Unpaced bursts: receive queues (32 deep) may overflow, but every packet is either delivered or counted as a drop
     * on some node.
     */
    @Test
    void burstTrafficEveryPacketDeliveredOrCounted() throws Exception {
        List<TestClient> clients = new ArrayList<>();
        try {
            for (MeshNode n : nodes) {
                for (int i = 0; i < 2; i++) {
                    clients.add(TestClient.connect(n.derpUrl()));
                }
            }
            awaitKnownEverywhere(clients.toArray(TestClient[]::new));
            long dropsBefore = totalDrops();
            int perPair = 150;
            long sent = 0;
            for (int k = 0; k < perPair; k++) {
                for (int s = 0; s < clients.size(); s++) {
                    for (int d = 0; d < clients.size(); d++) {
                        if (s / 2 != d / 2) {
                            clients.get(s).client.send(clients.get(d).publicKey(), Unpooled.wrappedBuffer(new byte[64 + k]), false);
                            sent++;
                        }
                    }
                }
                clients.forEach(t -> t.client.flush());
            }
            long delivered = 0;
            for (TestClient t : clients) {
                Object o;
                while ((o = t.next(Duration.ofMillis(700))) != null) {
                    if (o instanceof TestClient.Packet) {
                        delivered++;
                    }
                }
            }
            long dropped = totalDrops() - dropsBefore;
            System.out.printf("mesh burst traffic: delivered %d / sent %d (dropped and counted %d)%n", delivered, sent, dropped);
            assertThat(delivered + dropped).isEqualTo(sent);
            assertThat(delivered).isPositive();
        } finally {
            clients.forEach(TestClient::close);
        }
    }

    private enum DerpMetricsField { FORWARDED_OUT, FORWARDED_IN }

    private static long sum(DerpMetricsField f) {
        long total = 0;
        for (MeshNode n : nodes) {
            DerpMetrics m = n.metrics();
            total += f == DerpMetricsField.FORWARDED_OUT ? m.packetsForwardedOut.sum() : m.packetsForwardedIn.sum();
        }
        return total;
    }

    private static long totalDrops() {
        long total = 0;
        for (MeshNode n : nodes) {
            for (DropReason r : DropReason.values()) {
                for (DerpMetrics.Kind k : DerpMetrics.Kind.values()) {
                    total += n.metrics().packetsDropped(r, k);
                }
            }
            total += n.meshMetrics().droppedBackpressure() + n.meshMetrics().droppedLinkDown();
        }
        return total;
    }
}
