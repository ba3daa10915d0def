package io.jderper.ace;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The proxy enabled on a plain-HTTP main listener: CONNECT is refused, as the original refuses it without TLS. */
@TestPropertySource(properties = "derper.ace.enabled=true")
class ConnectWithoutTlsTest extends DerpServerTestBase {

    @Test
    void connectOverPlainHttpIsRefusedWith403RequiresTls() throws Exception {
        try (RawHttp http = new RawHttp(port())) {
            http.write("CONNECT controlplane.tailscale.com:443 HTTP/1.1\r\nHost: controlplane.tailscale.com:443\r\n\r\n");
            String response = new String(http.in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n")
                    .contains("\r\nContent-Length: 21\r\n")
                    .endsWith("\r\n\r\nCONNECT requires TLS\n");
        }
    }

    @Test
    void theListenerKeepsServingOtherRequests() throws Exception {
        try (RawHttp http = new RawHttp(port())) {
            http.write("GET /generate_204 HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(http.readHead()).startsWith("HTTP/1.1 204 ");
        }
    }
}
