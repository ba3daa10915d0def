package io.jderper.admission;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.jderper.testsupport.CapturedLogs;
import io.jderper.testsupport.LoopbackTls;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TLS listener (manual certificate for 127.0.0.1): clients that never finish the TLS handshake are closed at the
 * request deadline and hold slots meanwhile, and a thousand connections of plain-text garbage are counted in
 * {@code derp_client_errors{kind="tls"}} and add at most one log line.
 */
class TlsHostileClientsTest extends StalledClientsBase {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) throws IOException {
        LoopbackTls.manualTls(r, "jderper-tls-hostile");
    }

    @Override
    protected void assertServesRealClient() throws Exception {
        try (Socket tcp = open(); SSLSocket tls = LoopbackTls.over(tcp)) {
            tls.setSoTimeout(5000);
            tls.getOutputStream().write("GET /generate_204 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.readHead(tls.getInputStream())).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void silentBeforeClientHello() throws Exception {
        stallAndRecover(s -> { }, "derp_http_request_timeouts");
    }

    @Test
    void incompleteClientHello() throws Exception {
        // A handshake record header announcing 512 bytes, and the first 4 of them.
        stallAndRecover(s -> s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc}),
                "derp_http_request_timeouts");
    }

    @Test
    void plainTextGarbageIsCountedNotLogged() throws Exception {
        try (CapturedLogs logged = CapturedLogs.all()) {
            double before = count("derp_client_errors", "kind", "tls");
            int n = 1000;
            for (int i = 0; i < n; i++) {
                try (Socket s = open()) {
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    assertThat(drainUntilClosed(s, 5000)).isNotNegative();
                }
            }
            assertThat(countOnceAtLeast(before + n, "derp_client_errors", "kind", "tls") - before).isEqualTo(n);
            List<ILoggingEvent> lines = logged.atLeast(Level.INFO);
            assertThat(lines).as("log lines for %d TLS errors: %s", n, lines).hasSizeLessThanOrEqualTo(1)
                    .allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
        }
    }
}
