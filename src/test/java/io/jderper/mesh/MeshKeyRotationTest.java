package io.jderper.mesh;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.MeshKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.secrets.FakeSetec;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole nodes taking the mesh key from a setec-compatible server: a new active version is used for new mesh
 * handshakes and outgoing links re-dial with it; a sibling that still has the old key no longer meshes.
 */
class MeshKeyRotationTest {
    static final String SECRET = "prod/derp/meshkey";
    static final String K1 = "a1".repeat(32);
    static final String K2 = "b2".repeat(32);

    FakeSetec setec;
    final List<MeshNode> nodes = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        setec = new FakeSetec();
        setec.activate(SECRET, 1, K1);
    }

    @AfterEach
    void tearDown() {
        nodes.forEach(MeshNode::stop);
        setec.close();
    }

    List<String> setecArgs(String grace) throws Exception {
        Path cache = Files.createTempDirectory("jderper-setec").resolve("derper-secrets");
        return List.of("--derper.mesh.secrets.url=" + setec.url(), "--derper.mesh.secrets.cache-dir=" + cache,
                "--derper.mesh.secrets.poll-interval=300ms", "--derper.mesh.secrets.previous-key-grace=" + grace);
    }

    MeshNode start(String name, String address, int port, List<String> args) {
        MeshNode n = MeshNode.start(name, address, port, args);
        nodes.add(n);
        return n;
    }

    static boolean usesKey(MeshNode n, String hex) {
        return n.server().meshKey().map(k -> k.toHex().equals(hex)).orElse(false);
    }

    static MeshLink linkTo(MeshNode from, MeshNode to) {
        return from.mesh().link(to.entry()).orElseThrow();
    }

    static boolean upWith(MeshLink link, String hex) {
        return link.state() == MeshLink.State.UP && link.dialledWith() != null && link.dialledWith().toHex().equals(hex);
    }

    /** Whether a watcher presenting {@code hex} is treated as a mesh peer: it gets the snapshot, else it is closed. */
    static boolean meshesWith(MeshNode n, String hex, NodePublicKey expectedPeer) throws Exception {
        try (TestClient w = TestClient.connect(n.derpUrl(), DerpClientOptions.defaults().withMeshKey(MeshKey.parse(hex)))) {
            w.client.watchConns();
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                Object f = w.next(Duration.ofMillis(100));
                if (f instanceof Frame.PeerPresent p && p.peer().equals(expectedPeer)) {
                    return true;
                }
                if (f == null && !w.client.isOpen()) {
                    return false; // the server closed a watcher without the mesh key
                }
            }
            throw new AssertionError("neither a snapshot nor a close within 3 s");
        }
    }

    @Test
    void aNewVersionIsUsedForNewHandshakesAndLinksRedialWithIt() throws Exception {
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2", "127.0.0.3");
        String entryA = "127.0.0.1:" + port;
        String entryB = "127.0.0.2:" + port;
        String entryC = "127.0.0.3:" + port;
        List<String> argsA = new ArrayList<>(setecArgs("0s"));
        argsA.add("--derper.mesh.with=" + entryB + "," + entryC);
        List<String> argsB = new ArrayList<>(setecArgs("0s"));
        argsB.add("--derper.mesh.with=" + entryA);
        // C has the old key as a fixed setting: it never hears of the rotation.
        List<String> argsC = List.of("--derper.mesh.key=" + K1, "--derper.mesh.with=" + entryA);
        MeshNode a = start("127.0.0.1", "127.0.0.1", port, argsA);
        MeshNode b = start("127.0.0.2", "127.0.0.2", port, argsB);
        MeshNode c = start("127.0.0.3", "127.0.0.3", port, argsC);
        await(Duration.ofSeconds(15), () -> a.mesh().linksUp() == 2 && b.mesh().linksUp() == 1 && c.mesh().linksUp() == 1,
                "the region is meshed with version 1");
        assertThat(upWith(linkTo(a, b), K1)).isTrue();
        NodePublicKey keyB = b.server().identity().publicKey();
        long connectsA = a.meshMetrics().connects.sum();

        setec.activate(SECRET, 2, K2);
        await(Duration.ofSeconds(5), () -> usesKey(a, K2) && usesKey(b, K2), "both setec nodes use version 2");
        await(Duration.ofSeconds(20), () -> upWith(linkTo(a, b), K2) && upWith(linkTo(b, a), K2),
                "A and B re-linked with the new key");
        assertThat(a.meshMetrics().connects.sum()).as("A's link to B was dialled again").isGreaterThan(connectsA);

        // New handshakes: the new key makes a mesh peer, the old one no longer does (no grace here).
        assertThat(meshesWith(a, K2, keyB)).isTrue();
        assertThat(meshesWith(a, K1, keyB)).isFalse();

        // C still has the old key: A's re-dialled link to C is refused, and C cannot link again once its link drops.
        MeshLink cToA = linkTo(c, a);
        cToA.breakConnection();
        await(Duration.ofSeconds(20), () -> cToA.state() != MeshLink.State.UP && cToA.status().lastError() != null
                && cToA.status().lastError().contains("mesh key"), "C's new handshake with the old key is refused");
        await(Duration.ofSeconds(20), () -> linkTo(a, c).state() != MeshLink.State.UP
                && linkTo(a, c).dialledWith().toHex().equals(K2), "A's link to C (new key) is refused by C");
        assertThat(a.mesh().linksUp()).isEqualTo(1);
    }

    @Test
    void duringTheGraceTheOldKeyStillMeshesAndUpLinksWaitBeforeRedialling() throws Exception {
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2");
        List<String> argsA = new ArrayList<>(setecArgs("6s"));
        argsA.add("--derper.mesh.with=127.0.0.2:" + port);
        List<String> argsB = new ArrayList<>(setecArgs("6s"));
        argsB.add("--derper.mesh.with=127.0.0.1:" + port);
        MeshNode a = start("127.0.0.1", "127.0.0.1", port, argsA);
        MeshNode b = start("127.0.0.2", "127.0.0.2", port, argsB);
        await(Duration.ofSeconds(15), () -> upWith(linkTo(a, b), K1) && upWith(linkTo(b, a), K1), "meshed with version 1");
        NodePublicKey keyB = b.server().identity().publicKey();
        long connectsA = a.meshMetrics().connects.sum();

        setec.activate(SECRET, 2, K2);
        await(Duration.ofSeconds(5), () -> usesKey(a, K2) && usesKey(b, K2), "both nodes use version 2");
        // The nodes poll every 300 ms, far inside the 6 s grace: the up links were left alone...
        assertThat(upWith(linkTo(a, b), K1)).as("an up link keeps its connection during the grace").isTrue();
        assertThat(upWith(linkTo(b, a), K1)).isTrue();
        assertThat(a.meshMetrics().connects.sum()).isEqualTo(connectsA);
        // ...and both keys make mesh peers.
        assertThat(meshesWith(a, K1, keyB)).isTrue();
        assertThat(meshesWith(a, K2, keyB)).isTrue();

        await(Duration.ofSeconds(20), () -> upWith(linkTo(a, b), K2) && upWith(linkTo(b, a), K2),
                "after the grace the links re-dialled with the new key");
        assertThat(meshesWith(a, K1, keyB)).as("grace over").isFalse();
        assertThat(meshesWith(a, K2, keyB)).isTrue();
    }
}
