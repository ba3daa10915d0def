package io.jderper.tls;

import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SNI rules of the ACME modes (spec §12.2, §12.4), with certificates taken from the cache directory and no CA:
 * the worker is shut down, so nothing is ever ordered.
 */
class AcmeSelectionTest {
    @TempDir
    Path certDir;

    private final ScheduledThreadPoolExecutor worker = new ScheduledThreadPoolExecutor(1);

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    private AcmeCertificates acme(String hostname, boolean ipCerts) {
        AcmeChallenges ch = new AcmeChallenges(true, ipCerts, ServerTls.hostPolicy(hostname), "x");
        AcmeClient client = new AcmeClient(URI.create("https://127.0.0.1:1/dir"), null, "", null, List.of(), ch,
                Duration.ofSeconds(1), true);
        return new AcmeCertificates(hostname, ipCerts, ServerTls.hostPolicy(hostname), certDir, client, ch, worker,
                Clock.systemUTC());
    }

    private void cacheHostCert(String name) throws Exception {
        var pair = TestPki.ecKey();
        Files.writeString(certDir.resolve(name), TestPki.keyPem(pair) + TestPki.pem(TestPki.selfSigned(pair, name)));
    }

    private void cacheIpCert(String ip, String base) throws Exception {
        var pair = TestPki.ecKey();
        TestPki.writePair(certDir, base, pair, TestPki.selfSigned(pair, ip));
    }

    private static CertificateSelector.Handshake hs(String sni, String local) throws Exception {
        return new CertificateSelector.Handshake(sni, local == null ? null : InetAddress.getByName(local));
    }

    @Test
    void hostnameModeServesOnlyTheAllowedSni() throws Exception {
        cacheHostCert("derp.test");
        var acme = acme("derp.test", false);
        acme.start(Duration.ofHours(1));
        worker.shutdownNow();
        assertThat(acme.select(hs("derp.test", "127.0.0.1"))).isNotNull();
        assertThat(acme.select(hs("DERP.test", "127.0.0.1"))).isNotNull();
        assertThat(acme.select(hs("other.test", "127.0.0.1"))).isNull();
        assertThat(acme.select(hs(null, "127.0.0.1"))).as("no SNI, no IP certificates").isNull();
        assertThat(acme.select(hs("127.0.0.1", "127.0.0.1"))).isNull();
    }

    @Test
    void c12_4_ipCertificatesFollowTheLocalAddress() throws Exception {
        cacheIpCert("127.0.0.1", "127.0.0.1");
        cacheIpCert("::1", "..1");
        var acme = acme("127.0.0.1", true);
        acme.start(Duration.ofHours(1));
        worker.shutdownNow();
        var v4 = acme.select(hs(null, "127.0.0.1"));
        assertThat(v4).isNotNull();
        assertThat(HostNames.certificateMatches(v4.leaf(), "127.0.0.1")).isTrue();
        var v6 = acme.select(hs(null, "::1"));
        assertThat(v6).isNotNull();
        assertThat(HostNames.certificateMatches(v6.leaf(), "::1")).isTrue();
        // An IPv4-mapped local address is the IPv4 address.
        assertThat(acme.select(hs(null, "::ffff:127.0.0.1"))).isSameAs(v4);
        // An IP SNI must be the address dialled.
        assertThat(acme.select(hs("127.0.0.1", "127.0.0.1"))).isSameAs(v4);
        assertThat(acme.select(hs("127.0.0.2", "127.0.0.1"))).isNull();
        // A DNS SNI on a server without a DNS host name has nothing to serve.
        assertThat(acme.select(hs("derp.test", "127.0.0.1"))).isNull();
        // No certificate yet for this address: the handshake fails (and an order would start).
        assertThat(acme.select(hs(null, "127.0.0.3"))).isNull();
        assertThat(acme.select(hs(null, null))).isNull();
    }

    @Test
    void ipCertificatesNextToAHostname() throws Exception {
        cacheHostCert("derp.test");
        cacheIpCert("127.0.0.1", "127.0.0.1");
        var acme = acme("derp.test", true);
        acme.start(Duration.ofHours(1));
        worker.shutdownNow();
        assertThat(acme.select(hs("derp.test", "127.0.0.1")).leaf().getSubjectAlternativeNames())
                .containsExactly(List.of(2, "derp.test"));
        assertThat(acme.select(hs(null, "127.0.0.1")).leaf().getSubjectAlternativeNames())
                .containsExactly(List.of(7, "127.0.0.1"));
    }

    @Test
    void tlsAlpnValidationHandshakesGetTheChallengeCertificate() throws Exception {
        AcmeChallenges ch = new AcmeChallenges(true, false, ServerTls.hostPolicy("derp.test"), "x");
        AcmeClient client = new AcmeClient(URI.create("https://127.0.0.1:1/dir"), null, "", null, List.of(), ch,
                Duration.ofSeconds(1), true);
        var acme = new AcmeCertificates("derp.test", false, ServerTls.hostPolicy("derp.test"), certDir, client, ch, worker,
                Clock.systemUTC());
        var pair = TestPki.ecKey();
        var cert = AcmeClient.tlsAlpnCertificate(pair, org.shredzone.acme4j.Identifier.dns("derp.test"), new byte[32]);
        assertThat(cert.getCriticalExtensionOIDs()).contains("1.3.6.1.5.5.7.1.31");
        ch.putTlsAlpn("derp.test", CertifiedKey.of(pair.getPrivate(), List.of(cert)));
        var alpnHs = new CertificateSelector.Handshake("derp.test", null, AcmeChallenges.ACME_TLS_ALPN);
        assertThat(acme.select(alpnHs).leaf()).isEqualTo(cert);
        assertThat(acme.select(new CertificateSelector.Handshake("other.test", null, AcmeChallenges.ACME_TLS_ALPN))).isNull();
    }

    @Test
    void reverseNamesForIpValidation() throws Exception {
        assertThat(HostNames.reverseName(InetAddress.getByName("127.0.0.1"))).isEqualTo("1.0.0.127.in-addr.arpa");
        assertThat(HostNames.reverseName(InetAddress.getByName("2001:db8::1")))
                .isEqualTo("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    }

    @Test
    void renewalIsDueInTheLastThirdOfTheLifetime() throws Exception {
        var pair = TestPki.ecKey();
        var now = java.time.Instant.now();
        var young = CertifiedKey.of(pair.getPrivate(), List.of(TestPki.selfSigned(pair, "a.test",
                now.minus(Duration.ofDays(59)), Duration.ofDays(90), "a.test")));
        var old = CertifiedKey.of(pair.getPrivate(), List.of(TestPki.selfSigned(pair, "a.test",
                now.minus(Duration.ofDays(61)), Duration.ofDays(90), "a.test")));
        assertThat(young.needsRenewal(now)).isFalse();
        assertThat(old.needsRenewal(now)).isTrue();
    }
}
