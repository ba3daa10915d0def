package io.jderper.tls;

import io.jderper.client.DerpClientOptions;
import io.jderper.server.ServerIdentity;
import io.jderper.testsupport.LoopbackServerTest;
import io.jderper.testsupport.LoopbackTls;
import io.jderper.testsupport.TestClient;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole server in manual TLS mode with an IP host name (C-14 setup): DERP over TLS with the Java client
 * (C-12: no ALPN), the meta certificate carrying the server's own key (C-11), and the port-80 listener (C-85).
 * With the default provider, OpenSSL; {@link DerpOverJdkTlsTest} repeats it on the JDK provider.
 */
@LoopbackServerTest
@TestPropertySource(properties = {
        "derper.http.port=0",
})
class DerpOverTlsTest {
    @DynamicPropertySource
    static void files(DynamicPropertyRegistry registry) throws IOException {
        LoopbackTls.manualTls(registry, "jderper-tls-test");
    }

    @LocalServerPort
    int port;
    @Autowired
    ServerIdentity identity;
    @Autowired
    HttpRedirectServer port80;
    @Autowired
    ServerTls serverTls;

    TlsProvider expectedProvider() {
        return TlsProvider.OPENSSL;
    }

    @Test
    void theConfiguredProviderServes() {
        assertThat(serverTls.provider()).isEqualTo(expectedProvider());
    }

    @Test
    void c12_derpUpgradeAndRelayOverTlsWithoutAlpn() throws Exception {
        SslContext client = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        URI url = URI.create("https://127.0.0.1:" + port + "/derp");
        var options = DerpClientOptions.defaults().withSslContext(client);
        try (TestClient a = TestClient.connect(url, options); TestClient b = TestClient.connect(url, options)) {
            assertThat(a.client.serverKey()).isEqualTo(identity.publicKey());
            a.client.send(b.publicKey(), new byte[] {1, 2, 3}).sync();
            var got = b.await(TestClient.Packet.class, p -> p.source().equals(a.publicKey()), Duration.ofSeconds(5));
            assertThat(got.data()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void c11_c14_chainIsLeafPlusMetaCertificateWithTheServerKey() throws Exception {
        var seen = TlsTestSupport.handshake(port, null);
        assertThat(seen.protocol()).isEqualTo("TLSv1.3");
        assertThat(seen.chain()).hasSize(2);
        assertThat(seen.chain().get(0).getSubjectAlternativeNames()).containsExactly(java.util.List.of(7, "127.0.0.1"));
        assertThat(seen.chain().get(1).getSubjectX500Principal().getName())
                .isEqualTo("CN=derpkey" + HexFormat.of().formatHex(identity.publicKey().toBytes()));
    }

    @Test
    void c85_port80ListenerRunsNextToTls() throws Exception {
        var r = HttpRedirectServerTest.request(port80.port(), "GET", "/derp?x=1", "127.0.0.1");
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("Location")).isEqualTo("https://127.0.0.1/derp?x=1");
    }
}
