package io.jderper.admission;

import io.jderper.testsupport.LoopbackTls;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * C-67, the Java variant, in TLS mode (manual certificate for 127.0.0.1): with a rate of 0.5/s and a burst of 2, ten
 * simultaneous connections get two through; the other eight are closed before the server sends a single byte (no
 * ServerHello), counted in tls_listener_rejected_connections, and the listener keeps accepting: once a token has
 * accrued, a new connection completes TLS.
 */
@TestPropertySource(properties = {
        "derper.limits.accept-connection-limit=0.5",
        "derper.limits.accept-connection-burst=2",
})
class AcceptLimiterTest extends GuardedServerBase {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) throws IOException {
        LoopbackTls.manualTls(r, "jderper-accept");
    }

    /** Completes a TLS handshake over an already connected socket. */
    private static void handshake(Socket raw) throws IOException {
        try (SSLSocket ssl = LoopbackTls.over(raw)) {
            ssl.setSoTimeout(5000);
            ssl.startHandshake();
            assertThat(ssl.getSession().getProtocol()).startsWith("TLSv1.");
        }
    }

    @Test
    void rejectedConnectionsCloseBeforeAnyTlsByteAndTheListenerKeepsAccepting_C67() throws Exception {
        // Let the bucket fill up in case start-up probes consumed tokens.
        Thread.sleep(4500);
        double accepted0 = count("tls_listener_accepted_connections");
        double rejected0 = count("tls_listener_rejected_connections");
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sockets.add(open());
        }
        Thread.sleep(500);
        List<Socket> open = new ArrayList<>();
        int silentlyClosed = 0;
        for (Socket s : sockets) {
            // Sending nothing: an accepted TLS server waits for ClientHello, a rejected socket is already closed.
            int bytes = drainUntilClosed(s, 300);
            if (bytes == -1) {
                open.add(s);
            } else {
                assertThat(bytes).as("a rejected connection gets no byte at all").isZero();
                silentlyClosed++;
                s.close();
            }
        }
        assertThat(silentlyClosed).isEqualTo(8);
        assertThat(open).hasSize(2);
        for (Socket s : open) {
            handshake(s);
        }
        assertThat(count("tls_listener_rejected_connections") - rejected0).isEqualTo(8);
        assertThat(count("tls_listener_accepted_connections") - accepted0).isEqualTo(2);

        Thread.sleep(2500);
        handshake(open());
        assertThat(count("tls_listener_accepted_connections") - accepted0).isEqualTo(3);
    }
}
