package io.jderper.admission;

import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.AfterEach;
import org.springframework.test.context.TestPropertySource;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Helpers for tests of a few hundred clients that open a connection and then stall in one of the phases before a DERP session exists
 * (C-38 and the hardening items of operations.md). Each phase has a deadline: the server closes every such
 * connection in time and its file descriptors return to their count before the attack. While they are held, the
 * stalled connections count against the per-IP cap and the total cap on not-yet-registered connections, so the
 * excess is refused on accept, and a real client from another address still gets through.
 */
@TestPropertySource(properties = {
        "derper.relay.handshake-timeout=" + StalledClientsBase.DEADLINE_SECONDS + "s",
        "derper.limits.http-request-timeout=" + StalledClientsBase.DEADLINE_SECONDS + "s",
        "derper.limits.max-http-connections-per-ip=100",
        "derper.limits.max-pending-connections=150",
})
abstract class StalledClientsBase extends GuardedServerBase {
    static final int DEADLINE_SECONDS = 5;
    static final String WS_UPGRADE = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: derp\r\n\r\n";
    static final String DERP_UPGRADE = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n";

    protected final List<Socket> attackers = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (Socket s : attackers) {
            s.close();
        }
    }

    /**
     * Sockets of this JVM (which hosts the server) whose local port is the server's: its listener and its side of
     * every accepted connection. Counting only these keeps descriptors that other parts of the JVM open or close
     * meanwhile (client pools, io_uring rings, a previous test's leftovers) out of the figure.
     */
    private int serverSockets() throws IOException {
        Set<String> inodes = new HashSet<>();
        File[] fds = new File("/proc/self/fd").listFiles();
        for (File fd : fds == null ? new File[0] : fds) {
            try {
                String target = Files.readSymbolicLink(fd.toPath()).toString();
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring("socket:[".length(), target.length() - 1));
                }
            } catch (IOException closedMeanwhile) {
                // The descriptor went away while listing: not a socket of the server's.
            }
        }
        String localPort = String.format(":%04X", port());
        int n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] cols = line.trim().split("\\s+");
                if (cols[1].endsWith(localPort) && inodes.contains(cols[9])) {
                    n++;
                }
            }
        }
        return n;
    }

    protected interface Stall {
        void start(Socket s) throws IOException;
    }

    protected Socket openFrom(String localIp) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(localIp), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
        attackers.add(s);
        return s;
    }

    private void awaitPending(int n) throws InterruptedException {
        for (int i = 0; i < 200 && count("derp_limit_pending_connections") != n; i++) {
            Thread.sleep(25);
        }
        assertThat(count("derp_limit_pending_connections")).isEqualTo(n);
    }

    /**
     * 100 stalled connections from 127.0.0.1 (its whole per-IP allowance) and 50 from 127.0.0.2 (filling the total);
     * then one more from each of 127.0.0.1 and 127.0.0.3 is refused, the deadline closes all 150, and descriptors and
     * gauges are back where they started.
     */
    protected void stallAndRecover(Stall stall, String timeoutCounter) throws Exception {
        awaitPending(0);
        int baseline = serverSockets();
        double timeouts0 = count(timeoutCounter);
        double perIp0 = count("derp_limit_rejected_connections", "limit", "per_ip");
        double total0 = count("derp_limit_rejected_connections", "limit", "max_pending");
        long started = System.nanoTime();
        for (int i = 0; i < 150; i++) {
            stall.start(openFrom(i < 100 ? "127.0.0.1" : "127.0.0.2"));
        }
        awaitPending(150);
        System.out.println("stalled 150 in " + (System.nanoTime() - started) / 1_000_000 + " ms");
        // Not baseline + 150: a previous test's connection may still be closing when the baseline is taken.
        assertThat(serverSockets()).as("server side of the stalled connections").isGreaterThanOrEqualTo(150);

        try (Socket sameIp = openFrom("127.0.0.1"); Socket otherIp = openFrom("127.0.0.3")) {
            // Closed at once, with no byte: well before any deadline could have closed them.
            assertThat(drainUntilClosed(sameIp, 1000)).as("refused by the per-IP cap").isZero();
            assertThat(drainUntilClosed(otherIp, 1000)).as("refused by the total cap").isZero();
        }
        assertThat(System.nanoTime() - started).as("caps checked while every attacker was still held")
                .isLessThan(DEADLINE_SECONDS * 1_000_000_000L);
        assertThat(count("derp_limit_rejected_connections", "limit", "per_ip")).isEqualTo(perIp0 + 1);
        assertThat(count("derp_limit_rejected_connections", "limit", "max_pending")).isEqualTo(total0 + 1);

        for (int i = 0; i < 150; i++) {
            assertThat(drainUntilClosed(attackers.get(i), (DEADLINE_SECONDS + 3) * 1000)).as("attacker %d closed by its deadline", i).isNotNegative();
        }
        awaitPending(0);
        assertThat(count(timeoutCounter) - timeouts0).isGreaterThanOrEqualTo(150);
        assertThat(count("derp_limit_derp_connections")).isZero();
        // Every attacker socket is still open on the client side; the server's side of each is closed.
        assertThat(serverSockets()).as("server sockets after the deadlines").isLessThanOrEqualTo(baseline);

        assertServesRealClient();
    }

    /** Capacity is back: a real client registers. */
    protected void assertServesRealClient() throws Exception {
        try (TestClient c = TestClient.connect(derpUrl())) {
            assertThat(c.client.isOpen()).isTrue();
        }
    }
}
