package io.jderper.mesh;

import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two freshly started nodes, each listing both, mesh within one retry interval of both being reachable, whichever
 * starts first, over plain HTTP and TLS, and again after one restarts on the same port. "Meshed" means each node has
 * registered the other's link as a watcher ({@code derp_watchers} = 1 on both). The bound is the retry interval plus a
 * few seconds for a loaded machine; the retry interval itself is measured against a port that fails every attempt.
 */
class MeshLinkStartupTest {
    static final Duration RETRY = Duration.ofSeconds(2);
    static final Duration MARGIN = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void plainNodesMeshWithinOneRetryIntervalWhicheverStartsFirst() throws Exception {
        for (boolean firstIsLower : new boolean[]{true, false}) {
            Pair p = new Pair(false);
            try {
                MeshNode first = p.start(firstIsLower ? 0 : 1);
                // The first node's link fails against a port nobody serves yet, and keeps retrying.
                await(Duration.ofSeconds(10), () -> first.mesh().linkStatus().get(0).failures() > 0, "the first node's link failed");
                MeshNode second = p.start(firstIsLower ? 1 : 0);
                assertMeshedWithinBound(first, second, System.nanoTime());
            } finally {
                p.close();
            }
        }
    }

    @Test
    void tlsNodesMeshWithinOneRetryIntervalAndAgainAfterARestart() throws Exception {
        Pair p = new Pair(true);
        try {
            MeshNode b = p.start(1);
            await(Duration.ofSeconds(10), () -> b.mesh().linkStatus().get(0).failures() > 0, "b's link failed");
            MeshNode a = p.start(0);
            assertMeshedWithinBound(a, b, System.nanoTime());

            b.stop();
            await(Duration.ofSeconds(10), () -> a.mesh().linkStatus().get(0).state() != MeshLink.State.UP, "a saw b leave");
            await(Duration.ofSeconds(10), () -> a.metrics().watchers.get() == 0, "b's watcher left a");
            b.start();
            assertMeshedWithinBound(a, b, System.nanoTime());
        } finally {
            p.close();
        }
    }

    @Test
    void plainNodeRestartedOnTheSamePortIsMeshedWithinOneRetryInterval() throws Exception {
        Pair p = new Pair(false);
        try {
            MeshNode a = p.start(0);
            MeshNode b = p.start(1);
            assertMeshedWithinBound(a, b, System.nanoTime());
            a.stop();
            // Longer than one interval down, so b's link is in its retry cycle when a returns.
            Thread.sleep(RETRY.toMillis() + 500);
            a.start();
            assertMeshedWithinBound(a, b, System.nanoTime());
        } finally {
            p.close();
        }
    }

    /** The wait between attempts is derper.mesh.retry-interval, every time: no growth, no giving up. */
    @Test
    void attemptsFollowEachOtherAtTheRetryInterval() throws Exception {
        Duration interval = Duration.ofMillis(1500);
        List<Long> accepts = new CopyOnWriteArrayList<>();
        try (ServerSocket refuser = new ServerSocket()) {
            refuser.bind(new InetSocketAddress("127.0.0.8", 0));
            Thread t = new Thread(() -> {
                while (!refuser.isClosed()) {
                    try (Socket s = refuser.accept()) {
                        accepts.add(System.nanoTime());
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            try (MeshNode node = MeshNode.start("retry-node", "127.0.0.9", MeshNode.freePortOnAll("127.0.0.9"), List.of(
                    "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.retry-interval=1500ms",
                    "--derper.mesh.with=127.0.0.8:" + refuser.getLocalPort()))) {
                await(Duration.ofSeconds(20), () -> accepts.size() >= 5, "five attempts");
                assertThat(node.mesh().retryInterval()).isEqualTo(interval);
            }
        }
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < 5; i++) {
            gaps.add((accepts.get(i) - accepts.get(i - 1)) / 1_000_000);
        }
        System.out.println("mesh retry: gaps between attempts (ms) " + gaps);
        // Each gap is the interval plus the failed attempt's own duration (a closed connection: milliseconds).
        assertThat(gaps).allSatisfy(g -> assertThat(g).isBetween(interval.toMillis() - 50, interval.toMillis() + 1000));
    }

    private static void assertMeshedWithinBound(MeshNode x, MeshNode y, long reachableAt) throws InterruptedException {
        Duration bound = RETRY.plus(MARGIN);
        // A server counts the watcher when it takes the link's ClientInfo, a moment before the link itself reads
        // ServerInfo and calls itself up: meshed means both, on both nodes.
        await(bound.plusSeconds(10), () -> x.metrics().watchers.get() == 1 && y.metrics().watchers.get() == 1
                        && x.mesh().linksUp() == 1 && y.mesh().linksUp() == 1,
                "both nodes have the other's watcher and their own link up");
        Duration took = Duration.ofNanos(System.nanoTime() - reachableAt);
        System.out.println("mesh startup: " + x + " and " + y + " meshed " + took.toMillis() + " ms after both were reachable");
        assertThat(took).isLessThanOrEqualTo(bound);
        assertThat(x.mesh().linksUp()).isEqualTo(1);
        assertThat(y.mesh().linksUp()).isEqualTo(1);
    }

    /** Two nodes on 127.0.0.10 and 127.0.0.11, one port, each listing both; with TLS in manual mode with IP certs. */
    private final class Pair implements AutoCloseable {
        final String[] addresses = {"127.0.0.10", "127.0.0.11"};
        final int port = MeshNode.freePortOnAll(addresses);
        final boolean tls;
        final MeshNode[] nodes = new MeshNode[2];
        final List<List<String>> args = new ArrayList<>();

        Pair(boolean tls) throws Exception {
            this.tls = tls;
            Path ca = dir.resolve("ca-" + port + ".pem");
            StringBuilder pem = new StringBuilder();
            for (String address : addresses) {
                List<String> a = new ArrayList<>(List.of("--derper.mesh.key=" + MeshNode.MESH_KEY,
                        "--derper.mesh.retry-interval=" + RETRY.toMillis() + "ms",
                        "--derper.mesh.with=" + addresses[0] + ":" + port + "," + addresses[1] + ":" + port));
                if (tls) {
                    KeyPair pair = TestPki.ecKey();
                    X509Certificate cert = TestPki.selfSigned(pair, address);
                    Path certs = dir.resolve("certs-" + address + "-" + port);
                    TestPki.writePair(certs, address, pair, cert);
                    pem.append(TestPki.pem(cert));
                    a.addAll(List.of("--derper.tls.mode=manual", "--derper.tls.cert-dir=" + certs,
                            "--derper.mesh.tls=true", "--derper.mesh.ca-file=" + ca));
                }
                args.add(a);
            }
            if (tls) {
                Files.writeString(ca, pem);
            }
        }

        MeshNode start(int i) {
            nodes[i] = MeshNode.start(addresses[i], addresses[i], port, args.get(i));
            return nodes[i];
        }

        @Override
        public void close() {
            for (MeshNode n : nodes) {
                if (n != null) {
                    n.stop();
                }
            }
        }
    }
}
