package io.jderper.admission;

import io.jderper.testsupport.RawHttp;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request deadline (slowloris), the per-IP cap on connections that are not DERP sessions, and the DERP session
 * cap, on a server with small limits. All clients come from 127.0.0.1, so each test closes what it opened.
 */
@TestPropertySource(properties = {
        "derper.limits.http-request-timeout=1500ms",
        "derper.limits.max-connections=3",
        "derper.limits.max-http-connections-per-ip=4",
})
class ConnectionCapsTest extends GuardedServerBase {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) throws IOException {
        String keyFile = Files.createTempDirectory("jderper-caps").resolve("derper.key").toString();
        r.add("derper.key-file", () -> keyFile);
    }

    @Test
    void slowlorisHeadIsCutOffWhileDerpSessionsOutliveTheDeadline() throws Exception {
        double timeouts0 = count("derp_http_request_timeouts");
        try (TestClient derp = TestClient.connect(derpUrl());
             Socket slow = open()) {
            byte[] head = "GET / HTTP/1.1\r\nHost: derp.test\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            long t0 = System.nanoTime();
            boolean cut = false;
            for (int i = 0; i < 60 && !cut; i++) {
                try {
                    slow.getOutputStream().write(head[i % head.length]);
                    slow.getOutputStream().flush();
                } catch (IOException e) {
                    cut = true;
                    break;
                }
                slow.setSoTimeout(100);
                try {
                    cut = slow.getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException e) {
                    // still open
                } catch (java.net.SocketException e) {
                    cut = true;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(cut).as("dribbling connection closed").isTrue();
            assertThat(ms).isBetween(1_000L, 5_000L);
            assertThat(count("derp_http_request_timeouts")).isGreaterThan(timeouts0);
            // The DERP session started before the dribbler and is well past the HTTP deadline.
            derp.client.ping().get(2, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(derp.client.isOpen()).isTrue();
        }
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterTheDeadline() throws Exception {
        try (RawHttp http = new RawHttp(port())) {
            http.write("GET /robots.txt HTTP/1.1\r\nHost: derp.test\r\n\r\n");
            assertThat(http.readHead()).startsWith("HTTP/1.1 200");
            long t0 = System.nanoTime();
            assertThat(http.closedByPeer(5000)).isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(1_000L, 4_000L);
        }
    }

    @Test
    void perIpCapCountsOnlyConnectionsThatAreNotDerpSessions() throws Exception {
        double perIp0 = count("derp_limit_rejected_connections", "limit", "per_ip");
        List<TestClient> sessions = new ArrayList<>();
        List<Socket> idle = new ArrayList<>();
        try {
            // DERP sessions give their per-IP slot back once registered.
            sessions.add(TestClient.connect(derpUrl()));
            sessions.add(TestClient.connect(derpUrl()));
            for (int i = 0; i < 4; i++) {
                idle.add(open());
            }
            // Accepted connections are set up on several event loops; let all four take their slots first.
            Thread.sleep(300);
            try (Socket fifth = open()) {
                fifth.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(drainUntilClosed(fifth, 3000)).as("refused before any byte").isZero();
            }
            assertThat(count("derp_limit_rejected_connections", "limit", "per_ip")).isEqualTo(perIp0 + 1);
            for (TestClient s : sessions) {
                assertThat(s.client.isOpen()).isTrue();
            }
        } finally {
            for (Socket s : idle) {
                s.close();
            }
            sessions.forEach(TestClient::close);
        }
    }

    @Test
    void upgradesBeyondMaxConnectionsGet503() throws Exception {
        awaitSlotsFree();
        double rejected0 = count("derp_limit_rejected_connections", "limit", "max_connections");
        List<TestClient> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                sessions.add(TestClient.connect(derpUrl()));
            }
            assertThat(count("derp_limit_derp_connections")).isEqualTo(3);
            try (RawHttp http = new RawHttp(port())) {
                http.write("GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n");
                String head = http.readHead();
                assertThat(head).startsWith("HTTP/1.1 503");
                assertThat(new String(http.readExactly(24), StandardCharsets.UTF_8)).isEqualTo("derp server at capacity\n");
                assertThat(http.closedByPeer(2000)).isTrue();
            }
            assertThat(count("derp_limit_rejected_connections", "limit", "max_connections")).isEqualTo(rejected0 + 1);
            // Everyone admitted keeps relaying.
            sessions.get(0).client.send(sessions.get(1).publicKey(), new byte[] {1, 2, 3});
            assertThat(sessions.get(1).nextPacket().data()).containsExactly(1, 2, 3);
            sessions.remove(0).close();
            awaitSlots(2);
            sessions.add(TestClient.connect(derpUrl()));
        } finally {
            sessions.forEach(TestClient::close);
        }
    }

    private void awaitSlotsFree() throws InterruptedException {
        awaitSlots(0);
    }

    private void awaitSlots(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (count("derp_limit_derp_connections") > n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(count("derp_limit_derp_connections")).isLessThanOrEqualTo(n);
    }
}
