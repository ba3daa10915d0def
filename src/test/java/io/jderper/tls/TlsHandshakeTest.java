package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.TlsProperties;
import io.jderper.key.NodePublicKey;
import io.jderper.testsupport.LoopbackTls;
import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Real TLS over loopback with the SslContext a Reactor Netty server gets from {@link ServerTls}, once with each
 * TLS provider: every behaviour must be the same on OpenSSL and on the JDK.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {"openssl", "jdk"})
class TlsHandshakeTest {
    @Parameter
    String provider;

    @TempDir
    Path certDir;

    private final NodePublicKey serverKey = TlsTestSupport.randomServerKey();
    private ServerTls tls;
    private DisposableServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.disposeNow();
        }
        if (tls != null) {
            tls.close();
        }
    }

    private int start(String hostname, Duration reload) {
        var core = new DerperProperties(false, "127.0.0.1:443", hostname, null, "");
        var props = new TlsProperties("manual", certDir, new TlsProperties.Acme("", "", "", false, null, null), reload,
                provider);
        tls = ServerTls.create(core, props, new io.jderper.config.HttpPortProperties(80), serverKey);
        assertThat(tls.provider()).isEqualTo(TlsProvider.valueOf(provider.toUpperCase(java.util.Locale.ROOT)));
        tls.start();
        server = tls.secure(HttpServer.create().host("127.0.0.1").port(0))
                .handle((req, res) -> res.sendString(Mono.just("ok " + req.uri())))
                .bindNow();
        return ((InetSocketAddress) server.address()).getPort();
    }

    private void assertMetaLast(List<X509Certificate> chain, int expectedSize) throws Exception {
        assertThat(chain).hasSize(expectedSize);
        X509Certificate meta = chain.get(chain.size() - 1);
        assertThat(meta.getSubjectX500Principal().getName())
                .isEqualTo("CN=derpkey" + HexFormat.of().formatHex(serverKey.toBytes()));
        assertThat(meta.getSigAlgName()).isEqualTo("Ed25519");
        assertThat(meta.getEncoded()).isEqualTo(tls.metaCertificate().certificate().getEncoded());
    }

    @Test
    void c13_dnsHostnameNeedsTheExactSni() throws Exception {
        var pair = TestPki.ecKey();
        var leaf = TestPki.selfSigned(pair, "derp.test");
        TestPki.writePair(certDir, "derp.test", pair, leaf);
        int port = start("derp.test", Duration.ZERO);

        var seen = TlsTestSupport.handshake(port, "derp.test");
        assertThat(seen.protocol()).isEqualTo("TLSv1.3");
        assertThat(seen.chain().get(0)).isEqualTo(leaf);
        assertMetaLast(seen.chain(), 2);

        assertThatThrownBy(() -> TlsTestSupport.handshake(port, "other.test")).isInstanceOf(SSLException.class);
        assertThatThrownBy(() -> TlsTestSupport.handshake(port, null)).isInstanceOf(SSLException.class);
    }

    @Test
    void c14_ipHostnameServesTheSelfSignedCertificateWithoutSni() throws Exception {
        int port = start("127.0.0.1", Duration.ZERO);
        assertThat(certDir.resolve("127.0.0.1.crt")).exists();
        var seen = TlsTestSupport.handshake(port, null);
        X509Certificate leaf = seen.chain().get(0);
        assertThat(leaf.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(7, "127.0.0.1"));
        assertMetaLast(seen.chain(), 2);
        // Any SNI is fine with an IP host name.
        assertMetaLast(TlsTestSupport.handshake(port, "whatever.test").chain(), 2);
    }

    @Test
    void c11_c12_metaCertificateFollowsEcdsaAndRsaLeavesOnTls12AndTls13() throws Exception {
        for (boolean rsa : new boolean[] {false, true}) {
            var pair = rsa ? TestPki.rsaKey() : TestPki.ecKey();
            var leaf = TestPki.selfSigned(pair, "derp.test");
            TestPki.writePair(certDir, "derp.test", pair, leaf);
            int port = start("derp.test", Duration.ZERO);
            for (String version : new String[] {"TLSv1.3", "TLSv1.2"}) {
                var seen = TlsTestSupport.handshake(port, "derp.test", new String[] {version}, null);
                assertThat(seen.protocol()).isEqualTo(version);
                assertThat(seen.chain().get(0)).as(version + (rsa ? " RSA" : " ECDSA")).isEqualTo(leaf);
                assertMetaLast(seen.chain(), 2);
            }
            tearDown();
        }
    }

    @Test
    void c12_tls10And11AreNotEnabled() throws Exception {
        int port = start("127.0.0.1", Duration.ZERO);
        SSLEngine engine = tls.sslContext().newEngine(io.netty.buffer.ByteBufAllocator.DEFAULT);
        try {
            // Netty's OpenSSL engine always lists the SSLv2Hello pseudo-protocol, a ClientHello format BoringSSL
            // does not accept at all; the versions are what counts.
            assertThat(engine.getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
                    .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        } finally {
            io.netty.util.ReferenceCountUtil.release(engine);
        }
        for (String old : new String[] {"TLSv1.1", "TLSv1"}) {
            assertThatThrownBy(() -> TlsTestSupport.handshake(port, null, new String[] {old}, null))
                    .isInstanceOf(SSLException.class);
        }
    }

    /** C-12 with a client that still speaks TLS 1.0/1.1, so the refusal is the server's (alert 70). */
    @Test
    void c12_serverRefusesTls10And11FromOpenssl() throws Exception {
        Path openssl = io.jderper.testsupport.ExternalTools.require("openssl");
        int port = start("127.0.0.1", Duration.ZERO);
        for (String flag : new String[] {"-tls1", "-tls1_1"}) {
            assertThat(sClient(openssl, port, flag)).as(flag).contains("alert protocol version");
        }
        assertThat(sClient(openssl, port, "-tls1_2")).contains("TLSv1.2").doesNotContain("alert");
        assertThat(sClient(openssl, port, "-tls1_3")).contains("TLSv1.3").doesNotContain("alert");
    }

    private static String sClient(Path openssl, int port, String versionFlag) throws Exception {
        Process p = new ProcessBuilder(openssl.toString(), "s_client", "-connect", "127.0.0.1:" + port, versionFlag,
                "-cipher", "DEFAULT:@SECLEVEL=0").redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl s_client did not finish");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void alpnNeverBlocksHttp11AndNeverSelectsH2() throws Exception {
        int port = start("127.0.0.1", Duration.ZERO);
        assertThat(TlsTestSupport.handshake(port, null, null, null).applicationProtocol()).isEmpty();
        assertThat(TlsTestSupport.handshake(port, null, null, new String[] {"h2", "http/1.1"}).applicationProtocol())
                .isEqualTo("http/1.1");
        assertThat(TlsTestSupport.handshake(port, null, null, new String[] {"h2"}).applicationProtocol()).isEmpty();
    }

    @Test
    void httpOneOneWorksOverTheConnectionWithoutAlpn() throws Exception {
        int port = start("127.0.0.1", Duration.ZERO);
        assertThat(httpsGet(port, "/hello?x=1")).startsWith("HTTP/1.1 200").endsWith("ok /hello?x=1");
    }

    @Test
    void replacedCertificateFilesAreServedToNewConnections() throws Exception {
        var p1 = TestPki.ecKey();
        TestPki.writePair(certDir, "derp.test", p1, TestPki.selfSigned(p1, "derp.test"));
        int port = start("derp.test", Duration.ofMillis(100));
        var p2 = TestPki.ecKey();
        var second = TestPki.selfSigned(p2, "derp.test");
        // Replace atomically, key first, as a careful operator (or certbot's symlink swap) would.
        Path newKey = Files.writeString(certDir.resolve("new.key"), TestPki.keyPem(p2));
        Path newCrt = Files.writeString(certDir.resolve("new.crt"), TestPki.pem(second));
        Files.move(newKey, certDir.resolve("derp.test.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(newCrt, certDir.resolve("derp.test.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(TlsTestSupport.handshake(port, "derp.test").chain().get(0)).isEqualTo(second));
        assertMetaLast(TlsTestSupport.handshake(port, "derp.test").chain(), 2);
    }

    private static String httpsGet(int port, String path) throws Exception {
        try (SSLSocket s = (SSLSocket) LoopbackTls.trustAll().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            String line;
            String status = in.readLine();
            while ((line = in.readLine()) != null) {
                sb.append(line).append('\n');
            }
            String all = sb.toString();
            return status + " ... " + all.substring(all.indexOf("\n\n") + 2).trim();
        }
    }
}
