package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.TlsProperties;
import io.jderper.key.NodePublicKey;
import io.jderper.testsupport.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ACME against a real CA (pebble) with real validation: order, serve, renew. IP certificates validate over
 * HTTP-01 against our port-80 listener; host names over TLS-ALPN-01 against our TLS listener (their HTTP-01
 * cannot pass here: pebble sends {@code Host: name:port} and the original's host policy, kept, refuses a port).
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {"openssl", "jdk"})
class AcmePebbleTest {
    /** The TLS provider: TLS-ALPN-01 validation must pass on both (OpenSSL needs the ClientHello sniffer). */
    @Parameter
    String provider;

    @TempDir
    Path tmp;

    private final NodePublicKey serverKey = TlsTestSupport.randomServerKey();
    private Pebble pebble;
    private ServerTls tls;
    private HttpRedirectServer port80;
    private DisposableServer server;

    @AfterEach
    void tearDown() throws Exception {
        stopServer();
        if (pebble != null) {
            pebble.close();
        }
    }

    private void stopServer() {
        if (server != null) {
            server.disposeNow();
            server = null;
        }
        if (tls != null) {
            tls.close();
            tls = null;
        }
        if (port80 != null) {
            port80.stop();
            port80 = null;
        }
    }

    /**
     * Builds TLS for letsencrypt mode at pebble, starts the port-80 listener (unless disabled) and the TLS
     * listener, then (the first time) pebble pointed at both, then the certificate sources.
     */
    private int startServer(String hostname, boolean ipCerts, int httpPort) throws Exception {
        Path certDir = tmp.resolve("certs");
        if (pebble == null) {
            pebble = Pebble.prepare(tmp);
        }
        var core = new DerperProperties(false, "127.0.0.1:443", hostname, null, "");
        var props = new TlsProperties("letsencrypt", certDir, new TlsProperties.Acme("ops@derp.test", "", "", ipCerts,
                pebble.directory(), pebble.apiCaPem), Duration.ZERO, provider);
        tls = ServerTls.create(core, props, new HttpPortProperties(httpPort), serverKey);
        if (httpPort >= 0) {
            port80 = new HttpRedirectServer(new InetSocketAddress("127.0.0.1", httpPort), tls.acmeChallenges(), null);
            port80.start();
        }
        server = tls.secure(HttpServer.create().host("127.0.0.1").port(0))
                .handle((req, res) -> res.sendString(Mono.just("ok")))
                .bindNow();
        int port = ((InetSocketAddress) server.address()).getPort();
        if (!pebbleRunning) {
            pebble.start(tmp, port80 != null ? port80.port() : FreePorts.loopback(), port, false);
            pebbleRunning = true;
        }
        tls.start();
        return port;
    }

    private boolean pebbleRunning;

    private void assertIssuedByPebble(List<X509Certificate> chain) throws Exception {
        X509Certificate meta = chain.get(chain.size() - 1);
        assertThat(meta.getSubjectX500Principal().getName())
                .isEqualTo("CN=derpkey" + HexFormat.of().formatHex(serverKey.toBytes()));
        List<X509Certificate> real = chain.subList(0, chain.size() - 1);
        assertThat(real).hasSizeGreaterThanOrEqualTo(2); // leaf + pebble's intermediate
        var path = CertificateFactory.getInstance("X.509").generateCertPath(real);
        var params = new PKIXParameters(Set.of(new TrustAnchor(pebble.root(), null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(path, params);
    }

    @Test
    void ipCertificateIsOrderedWithRealHttp01ValidationServedAndRenewed() throws Exception {
        int port = startServer("127.0.0.1", true, 0);

        // The first handshake has no certificate yet: it fails and starts the order in the background.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(SSLException.class)
                .until(() -> TlsTestSupport.handshake(port, null).chain().size() >= 3);
        var first = TlsTestSupport.handshake(port, null);
        X509Certificate leaf = first.chain().get(0);
        assertThat(leaf.getSubjectAlternativeNames()).contains(List.of(7, "127.0.0.1"));
        assertIssuedByPebble(first.chain());
        assertThat(pebble.log()).contains("127.0.0.1");

        Path certDir = tmp.resolve("certs");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certDir.resolve("127.0.0.1.crt")))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certDir.resolve("127.0.0.1.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certDir.resolve("acme-account.key")))).isEqualTo("rw-------");
        assertThat(tls.acmeChallenges().pending()).isZero();

        // Renewal: a new certificate is ordered and served to new connections.
        CertifiedKey renewed = tls.renewNow("127.0.0.1").get(90, TimeUnit.SECONDS);
        assertThat(renewed.leaf().getSerialNumber()).isNotEqualTo(leaf.getSerialNumber());
        var second = TlsTestSupport.handshake(port, null);
        assertThat(second.chain().get(0)).isEqualTo(renewed.leaf());
        assertIssuedByPebble(second.chain());

        // A restart finds the cached certificate without ordering: the very first handshake succeeds.
        stopServer();
        int port2 = startServer("127.0.0.1", true, 0);
        assertThat(TlsTestSupport.handshake(port2, null).chain().get(0)).isEqualTo(renewed.leaf());
    }

    @Test
    void ipCertificateOverTlsAlpnWhenThePort80ListenerIsDisabled() throws Exception {
        int port = startServer("127.0.0.1", true, -1);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(SSLException.class)
                .until(() -> TlsTestSupport.handshake(port, null).chain().size() >= 3);
        var seen = TlsTestSupport.handshake(port, null);
        assertThat(seen.chain().get(0).getSubjectAlternativeNames()).contains(List.of(7, "127.0.0.1"));
        assertIssuedByPebble(seen.chain());
        assertThat(tls.acmeChallenges().pending()).isZero();
    }

    @Test
    void hostnameCertificateIsOrderedAtStartupCachedAndRenewed() throws Exception {
        int port = startServer("derp.test", false, 0);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> tls.currentCertificate("derp.test").isPresent());
        var seen = TlsTestSupport.handshake(port, "derp.test");
        X509Certificate leaf = seen.chain().get(0);
        assertThat(leaf.getSubjectAlternativeNames()).contains(List.of(2, "derp.test"));
        assertIssuedByPebble(seen.chain());

        // SNI is restricted to the host name; no SNI is refused (no IP certificates here).
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TlsTestSupport.handshake(port, "other.test"))
                .isInstanceOf(SSLException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TlsTestSupport.handshake(port, null))
                .isInstanceOf(SSLException.class);

        // autocert's cache layout: one file named after the domain, key then chain; account key acme_account+key.
        Path certDir = tmp.resolve("certs");
        String cached = Files.readString(certDir.resolve("derp.test"));
        assertThat(cached).startsWith("-----BEGIN EC PRIVATE KEY-----").contains("-----BEGIN CERTIFICATE-----");
        assertThat(certDir.resolve("acme_account+key")).exists();

        CertifiedKey renewed = tls.renewNow("derp.test").get(90, TimeUnit.SECONDS);
        assertThat(TlsTestSupport.handshake(port, "derp.test").chain().get(0)).isEqualTo(renewed.leaf());
        assertThat(renewed.leaf().getSerialNumber()).isNotEqualTo(leaf.getSerialNumber());

        stopServer();
        int port2 = startServer("derp.test", false, 0);
        assertThat(TlsTestSupport.handshake(port2, "derp.test").chain().get(0)).isEqualTo(renewed.leaf());
    }
}
