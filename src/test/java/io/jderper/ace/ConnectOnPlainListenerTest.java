package io.jderper.ace;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared plain-HTTP server, where the proxy is off by default: a CONNECT gets the original's refusal. */
class ConnectOnPlainListenerTest extends DerpServerTestBase {

    @Test
    void connectIsRefusedWith403WhenTheProxyIsOff() throws Exception {
        try (RawHttp http = new RawHttp(port())) {
            http.write("CONNECT controlplane.tailscale.com:443 HTTP/1.1\r\nHost: controlplane.tailscale.com:443\r\n\r\n");
            String response = new String(http.in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n").endsWith("\r\n\r\nCONNECT not enabled\n");
        }
    }
}
