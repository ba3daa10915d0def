package io.jderper.admission;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * C-67, the Java variant: with a rate of 0.5/s and a burst of 2, ten simultaneous connections get two through; the
 * others are closed before the server sends a single byte, counted in tls_listener_rejected_connections, and the
 * listener keeps accepting: once a token has accrued, a new connection is served.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = io.jderper.JderperApplication.class,
        properties = {
                "derper.listen=127.0.0.1:0",
                "derper.http.port=-1",
                "derper.stun.enabled=false",
                "derper.hostname=derp.test",
                "derper.relay.drain-period=0s",
                "management.server.port=0",
                "management.server.address=127.0.0.1",
                "derper.mesh.key=" + DerpServerTestBase.MESH_KEY_HEX,
                "derper.limits.accept-connection-limit=0.5",
                "derper.limits.accept-connection-burst=2",
        })
class AcceptLimiterTest extends GuardedServerBase {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) throws IOException {
        String keyFile = Files.createTempDirectory("jderper-accept").resolve("derper.key").toString();
        r.add("derper.key-file", () -> keyFile);
    }

    private static final byte[] REQUEST = "GET /robots.txt HTTP/1.1\r\nHost: derp.test\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    @Test
    void rejectedConnectionsCloseBeforeAnyByteAndTheListenerKeepsAccepting_C67() throws Exception {
        // Let the bucket fill up in case the context's own start-up consumed tokens.
        Thread.sleep(4500);
        double accepted0 = count("tls_listener_accepted_connections");
        double rejected0 = count("tls_listener_rejected_connections");
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sockets.add(open());
        }
        int served = 0;
        int silent = 0;
        for (Socket s : sockets) {
            try {
                s.getOutputStream().write(REQUEST);
            } catch (IOException e) {
                // already closed by the server
            }
        }
        for (Socket s : sockets) {
            int bytes = drainUntilClosed(s, 5000);
            assertThat(bytes).as("every connection ends").isNotEqualTo(-1);
            if (bytes == 0) {
                silent++;
            } else {
                served++;
            }
            s.close();
        }
        assertThat(served).isEqualTo(2);
        assertThat(silent).isEqualTo(8);
        assertThat(count("tls_listener_rejected_connections") - rejected0).isEqualTo(8);
        assertThat(count("tls_listener_accepted_connections") - accepted0).isEqualTo(2);

        Thread.sleep(2500);
        try (Socket later = open()) {
            later.getOutputStream().write(REQUEST);
            assertThat(drainUntilClosed(later, 5000)).as("served after a token accrued").isGreaterThan(0);
        }
    }
}
