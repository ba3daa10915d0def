package io.jderper.mesh;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.MeshKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.PeerGoneReason;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DropReason;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Link loss, node loss and return, and a sibling with the wrong mesh key, on a three-node loopback cluster. */
class MeshFaultTest {
    static MeshNode a;
    static MeshNode b;
    static MeshNode c;
    static List<MeshNode> nodes;

    @BeforeAll
    static void startCluster() throws Exception {
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2", "127.0.0.3");
        String with = "--derper.mesh.with=127.0.0.1:" + port + ",127.0.0.2:" + port + ",127.0.0.3:" + port;
        List<String> common = List.of("--derper.mesh.key=" + MeshNode.MESH_KEY, with);
        a = MeshNode.start("node-a", "127.0.0.1", port, common);
        b = MeshNode.start("node-b", "127.0.0.2", port, common);
        c = MeshNode.start("node-c", "127.0.0.3", port, common);
        nodes = List.of(a, b, c);
        awaitMeshed();
    }

    static void awaitMeshed() throws InterruptedException {
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

    static void awaitKnown(MeshNode node, NodePublicKey key, Duration timeout) throws InterruptedException {
        await(timeout, () -> node.server().registry().isKnown(key), node + " knows " + key.shortString());
    }

    /** A payload the relay classifies as disco (magic, then at least 56 more bytes). */
    static byte[] disco() {
        byte[] p = new byte[62];
        System.arraycopy(new byte[]{0x54, 0x53, (byte) 0xF0, (byte) 0x9F, (byte) 0x92, (byte) 0xAC}, 0, p, 0, 6);
        return p;
    }

    /** C-61 and C-62 for the link itself: A's link to C breaks while C stays up. */
    @Test
    void c61_c62_brokenLinkWithdrawsItsPeersThenRelearnsThem() throws Exception {
        try (TestClient x = TestClient.connect(a.derpUrl()); TestClient y = TestClient.connect(c.derpUrl())) {
            awaitKnown(a, y.publicKey(), Duration.ofSeconds(5));
            y.client.send(x.publicKey(), new byte[]{1});
            x.await(TestClient.Packet.class, p -> p.source().equals(y.publicKey()), Duration.ofSeconds(2));

            MeshLink toC = a.mesh().link(c.entry()).orElseThrow();
            long breakAt = System.nanoTime();
            toC.breakConnection();
            Frame.PeerGone gone = x.await(Frame.PeerGone.class, g -> g.peer().equals(y.publicKey()), Duration.ofSeconds(2));
            assertThat(gone.reason()).isEqualTo(PeerGoneReason.DISCONNECTED);
            assertThat(a.server().registry().isKnown(y.publicKey())).isFalse();
            assertThat(toC.learnedKeys().get()).isEmpty();

            // While the link is down the sender gets the unknown-destination treatment.
            long unknown = a.metrics().packetsDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.DISCO);
            x.client.send(y.publicKey(), disco());
            Frame.PeerGone notHere = x.await(Frame.PeerGone.class, g -> g.peer().equals(y.publicKey()), Duration.ofSeconds(2));
            assertThat(notHere.reason()).isEqualTo(PeerGoneReason.NOT_HERE);
            assertThat(a.metrics().packetsDropped(DropReason.UNKNOWN_DEST, DerpMetrics.Kind.DISCO) - unknown).isEqualTo(1);

            awaitKnown(a, y.publicKey(), Duration.ofSeconds(10));
            x.client.send(y.publicKey(), new byte[]{2});
            assertThat(y.await(TestClient.Packet.class, p -> p.source().equals(x.publicKey()), Duration.ofSeconds(1)).data())
                    .containsExactly(2);
            System.out.printf("mesh: link re-established and peers re-learned %d ms after the break%n",
                    (System.nanoTime() - breakAt) / 1_000_000);
        }
    }

    /** C-61 and C-62 for a whole node: C goes away mid-traffic, A and B keep relaying, then C returns. */
    @Test
    void c61_c62_nodeKilledMidTrafficThenRestarted() throws Exception {
        TestClient x = TestClient.connect(a.derpUrl());
        TestClient z = TestClient.connect(b.derpUrl());
        TestClient w = TestClient.connect(b.derpUrl());
        TestClient y = TestClient.connect(c.derpUrl());
        try {
            for (MeshNode n : nodes) {
                for (TestClient t : List.of(x, y, z, w)) {
                    awaitKnown(n, t.publicKey(), Duration.ofSeconds(5));
                }
            }
            // x (on A) and w (on B) have heard from y (on C), so they must hear when it is gone; z only counts traffic.
            y.client.send(x.publicKey(), new byte[]{1});
            y.client.send(w.publicKey(), new byte[]{1});
            x.await(TestClient.Packet.class, p -> p.source().equals(y.publicKey()), Duration.ofSeconds(2));
            w.await(TestClient.Packet.class, p -> p.source().equals(y.publicKey()), Duration.ofSeconds(2));

            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            Thread traffic = new Thread(() -> {
                while (!stop.get()) {
                    x.client.send(z.publicKey(), ByteBuffer.allocate(8).putLong(sent.getAndIncrement()).array());
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "a-to-b-traffic");
            traffic.start();
            Thread.sleep(200);

            NodePublicKey cServer = c.server().identity().publicKey();
            c.stop();
            assertThat(x.await(Frame.PeerGone.class, g -> g.peer().equals(y.publicKey()), Duration.ofSeconds(2)).reason())
                    .isEqualTo(PeerGoneReason.DISCONNECTED);
            assertThat(w.await(Frame.PeerGone.class, g -> g.peer().equals(y.publicKey()), Duration.ofSeconds(2)).reason())
                    .isEqualTo(PeerGoneReason.DISCONNECTED);
            for (MeshNode n : List.of(a, b)) {
                await(Duration.ofSeconds(2), () -> !n.server().registry().isKnown(y.publicKey())
                        && !n.server().registry().isKnown(cServer), n + " forgot everything on C");
                await(Duration.ofSeconds(2), () -> n.mesh().linksUp() == 1 && n.mesh().linksDown() == 1, n + " sees one link down");
                JsonNode health = new ObjectMapper().readTree(n.management("/actuator/health").body());
                assertThat(health.path("status").asString()).isEqualTo("UP");
                assertThat(health.path("components").path("mesh").path("status").asString()).isEqualTo("DEGRADED");
                assertThat(health.path("components").path("mesh").path("description").asString()).isEqualTo("1 of 2 mesh links down");
            }

            Thread.sleep(300);
            stop.set(true);
            traffic.join();
            long expected = sent.get();
            long received = 0;
            long next = 0;
            Object o;
            while (received < expected && (o = z.next(Duration.ofSeconds(2))) != null) {
                if (o instanceof TestClient.Packet p && p.source().equals(x.publicKey())) {
                    assertThat(ByteBuffer.wrap(p.data()).getLong()).isEqualTo(next++);
                    received++;
                }
            }
            System.out.printf("mesh: A->B traffic while C went away: delivered %d / sent %d%n", received, expected);
            assertThat(received).isEqualTo(expected);

            c.start();
            long restarted = System.nanoTime();
            try (TestClient y2 = TestClient.connect(c.derpUrl())) {
                awaitKnown(a, y2.publicKey(), Duration.ofSeconds(10));
                awaitKnown(c, x.publicKey(), Duration.ofSeconds(10));
                awaitKnown(c, w.publicKey(), Duration.ofSeconds(10));
                x.client.send(y2.publicKey(), new byte[]{3});
                assertThat(y2.await(TestClient.Packet.class, p -> p.source().equals(x.publicKey()), Duration.ofSeconds(1)).data())
                        .containsExactly(3);
                y2.client.send(w.publicKey(), new byte[]{4});
                w.await(TestClient.Packet.class, p -> p.source().equals(y2.publicKey()), Duration.ofSeconds(1));
                long ms = (System.nanoTime() - restarted) / 1_000_000;
                System.out.printf("mesh: cross-node delivery to the restarted node after %d ms%n", ms);
                assertThat(ms).isLessThan(10_000);
            }
            awaitMeshed();
        } finally {
            x.close();
            z.close();
            w.close();
            if (y.client.isOpen()) {
                y.close();
            }
            if (!c.running()) {
                c.start();
            }
        }
    }

    @Test
    void meshClientWithWrongKeyIsRefusedWatchConns() throws Exception {
        MeshKey wrong = MeshKey.parse("00".repeat(32));
        long malformed = a.metrics().malformedFrames.sum();
        try (TestClient m = TestClient.connect(a.derpUrl(), DerpClientOptions.defaults().withMeshKey(wrong))) {
            m.client.watchConns();
            assertThat(m.awaitClosed(Duration.ofSeconds(2))).isTrue();
            Object o;
            while ((o = m.next(Duration.ofMillis(100))) != null) {
                assertThat(o).isNotInstanceOf(Frame.PeerPresent.class);
            }
        }
        assertThat(a.metrics().malformedFrames.sum() - malformed).isEqualTo(1);
    }

    @Test
    void siblingWithWrongKeyNeverLearnsOurPeersAndSaysWhy() throws Exception {
        try (TestClient x = TestClient.connect(a.derpUrl());
             MeshNode d = MeshNode.start("node-d", "127.0.0.4", MeshNode.freePortOnAll("127.0.0.4"),
                     List.of("--derper.mesh.key=" + "ab".repeat(32), "--derper.mesh.with=" + a.entry()))) {
            MeshLink toA = d.mesh().link(a.entry()).orElseThrow();
            await(Duration.ofSeconds(10), () -> {
                MeshLink.Status s = toA.status();
                return s.lastError() != null && s.lastError().contains("mesh key");
            }, "the link reports the refused WatchConns");
            assertThat(d.server().registry().isKnown(x.publicKey())).isFalse();
            assertThat(d.mesh().linksUp()).isZero();
            JsonNode mesh = new ObjectMapper().readTree(d.management("/actuator/health").body()).path("components").path("mesh");
            assertThat(mesh.path("status").asString()).isEqualTo("DEGRADED");
            assertThat(mesh.path("details").path("siblings").path(a.entry()).path("lastError").asString()).contains("mesh key");
        }
    }
}
