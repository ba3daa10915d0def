package io.jderper.probe;

import com.sun.net.httpserver.HttpServer;
import io.jderper.key.NodePrivateKey;
import io.jderper.testsupport.TestPki;
import io.jderper.tls.MetaCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TLS probe against a real TLS listener on loopback: trust (JVM roots plus a CA file, pinning, InsecureForTests),
 * names, the 7-day expiry rule, CRL revocation, and the DERP meta certificate that must not disturb any of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsProbeTest {
    static final String HOST = "127.0.0.1";

    TestPki pki;
    Path caFile;
    TestTlsServer tls;
    HttpServer crlServer;
    volatile byte[] crlBody;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        pki = TestPki.ca("tls probe test CA");
        caFile = pki.writeCa(dir.resolve("ca.pem"));
        tls = new TestTlsServer();
        crlServer = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
        crlServer.createContext("/ca.crl", exchange -> {
            byte[] body = crlBody;
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        crlServer.start();
    }

    @AfterEach
    void closeServers() {
        tls.closeListeners();
        crlBody = null;
    }

    @AfterAll
    void tearDown() {
        crlServer.stop(0);
        tls.close();
    }

    int serve(java.security.PrivateKey key, X509Certificate... chain) throws Exception {
        return tls.serve(key, chain);
    }

    static DerpMap.Node node(int port, String certName, boolean insecure) {
        return new DerpMap.Node("n", 900, HOST, certName, HOST, "", 0, false, port, insecure, false);
    }

    record Outcome(Throwable error, String detail, String metrics) {
        String message() {
            return error == null ? null : Probe.message(error);
        }
    }

    Outcome probe(DerpMap.Node node, Path ca) throws Exception {
        ProbeClass pc = TlsProbe.probeClass(node, ProbeTrust.load(ca), http);
        ProbeRun run = ProbeRun.within(Duration.ofSeconds(10));
        Throwable error = null;
        try {
            ((CompletableFuture<?>) pc.task().start(run).toCompletableFuture()).get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            error = e.getCause();
        } finally {
            run.end();
        }
        PromText text = new PromText("derpprobe");
        pc.metrics().write(text, java.util.Map.of("name", "n"));
        return new Outcome(error, run.detail(), text.render());
    }

    @Test
    void aTrustedChainForTheHostPassesAndReportsDaysToExpiry() throws Exception {
        TestPki.Leaf leaf = pki.leaf(HOST);
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
        Outcome o = probe(node(port, "", false), caFile);
        assertThat(o.error()).isNull();
        assertThat(o.detail()).startsWith("certificate expires in 89 days");
        assertThat(o.metrics()).contains("# TYPE derpprobe_tls_earliest_cert_expiry_secs gauge")
                .contains("derpprobe_tls_earliest_cert_expiry_secs{name=\"n\"} " + leaf.cert().getNotAfter().toInstant().getEpochSecond());
    }

    @Test
    void theDerpMetaCertificateAtTheEndOfTheChainIsIgnored() throws Exception {
        TestPki.Leaf leaf = pki.leaf(HOST);
        X509Certificate meta = MetaCertificate.create(NodePrivateKey.generate().publicKey()).certificate();
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate(), meta);
        assertThat(probe(node(port, "", false), caFile).error()).isNull();
    }

    @Test
    void anUnknownIssuerFails() throws Exception {
        TestPki.Leaf leaf = pki.leaf(HOST);
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
        Outcome o = probe(node(port, "", false), null);
        assertThat(o.message()).startsWith("connecting to \"127.0.0.1:" + port + "\": ").contains("certificate is not trusted");
    }

    @Test
    void aCertificateForAnotherNameFails() throws Exception {
        TestPki.Leaf leaf = pki.leaf("127.0.0.9", "derp.example.com");
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
        assertThat(probe(node(port, "", false), caFile).message()).contains("not valid for \"127.0.0.1\"");
        assertThat(probe(node(port, "derp.example.com", false), caFile).error()).as("CertName is the name to match").isNull();
    }

    @Test
    void expiryWithinSevenDaysFails() throws Exception {
        Instant now = Instant.now();
        TestPki.Leaf leaf = pki.leaf(now.minus(Duration.ofDays(80)), now.plus(Duration.ofDays(3)), null, HOST);
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
        Outcome o = probe(node(port, "", false), caFile);
        assertThat(o.message()).startsWith("one of the certs expires in 71h").contains("CN=127.0.0.1");
        assertThat(o.detail()).startsWith("certificate expires in 2 days");
    }

    @Test
    void insecureForTestsSkipsTrustButNotTheValidityChecks() throws Exception {
        Instant now = Instant.now();
        TestPki other = TestPki.ca("unknown CA");
        TestPki.Leaf future = other.leaf(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(90)), null, "elsewhere");
        int port = serve(future.key().getPrivate(), future.cert());
        assertThat(probe(node(port, "", true), null).message()).startsWith("one of the certs has NotBefore in the future");
        TestPki.Leaf fine = other.leaf("elsewhere");
        int port2 = serve(fine.key().getPrivate(), fine.cert());
        assertThat(probe(node(port2, "", true), null).error()).isNull();
    }

    @Test
    void aPinnedSelfSignedCertificateIsCheckedByHash() throws Exception {
        TestPki self = TestPki.ca(HOST);
        X509Certificate cert = self.caCertificate();
        X509Certificate meta = MetaCertificate.create(NodePrivateKey.generate().publicKey()).certificate();
        int port = serve(self.caLeaf().key().getPrivate(), cert, meta);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        assertThat(probe(node(port, "sha256-raw:" + hash, false), null).error()).isNull();
        assertThat(probe(node(port, "sha256-raw:" + "00".repeat(32), false), null).message())
                .contains("cert hash does not match expected cert hash");
    }

    @Test
    void aRevokedLeafFailsAndAnUnrevokedOnePasses() throws Exception {
        String crlUrl = "http://" + HOST + ":" + crlServer.getAddress().getPort() + "/ca.crl";
        TestPki.Leaf leaf = pki.leaf(Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofDays(30)), crlUrl, HOST);
        int port = serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
        assertThat(probe(node(port, "", false), caFile).message()).contains("CRL verification failed").contains("non-200");
        crlBody = pki.crl().getEncoded();
        assertThat(probe(node(port, "", false), caFile).error()).isNull();
        crlBody = pki.crl(leaf.cert()).getEncoded();
        assertThat(probe(node(port, "", false), caFile).message()).contains("has been revoked on").contains("KEY_COMPROMISE");
        crlBody = TestPki.ca("someone else").crl(leaf.cert()).getEncoded();
        assertThat(probe(node(port, "", false), caFile).message()).contains("could not verify CRL signature");
    }

    @Test
    void nothingListeningFailsWithTheAddress() throws Exception {
        int port = NodeProcess.freeTcpPort(HOST);
        assertThat(probe(node(port, "", false), caFile).message()).startsWith("connecting to \"127.0.0.1:" + port + "\": ")
                .contains("Connection refused");
    }
}
