package io.jderper.tls;

import io.jderper.testsupport.TestPki;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.io.StringReader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Manual mode (spec §12.1): file names, the self-signed IP certificate, SNI rules, and hot reload. */
@ExtendWith(OutputCaptureExtension.class)
class ManualCertificatesTest {
    @TempDir
    Path tmp;

    @Test
    void c14_ipHostnameWithoutFilesGetsASelfSignedCertificate(CapturedOutput output) throws Exception {
        Path dir = tmp.resolve("certs");
        Instant before = Instant.now().minusSeconds(1);
        ManualCertificates m = ManualCertificates.open(dir, "127.0.0.1");

        Path crt = dir.resolve("127.0.0.1.crt");
        Path key = dir.resolve("127.0.0.1.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(crt))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");

        var leaf = m.current().leaf();
        assertThat(m.current().chain()).hasSize(1);
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=127.0.0.1");
        assertThat(leaf.getIssuerX500Principal()).isEqualTo(leaf.getSubjectX500Principal());
        assertThat(((ECPublicKey) leaf.getPublicKey()).getParams().getOrder().bitLength()).isEqualTo(256);
        assertThat(leaf.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(7, "127.0.0.1"));
        boolean[] ku = leaf.getKeyUsage();
        assertThat(ku[0]).as("digitalSignature").isTrue();
        assertThat(ku[2]).as("keyEncipherment").isTrue();
        assertThat(ku[1] || ku[3] || ku[4] || ku[5] || ku[6]).isFalse();
        assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.19");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
        assertThat(leaf.getSerialNumber()).isGreaterThan(BigInteger.ZERO);
        Instant nb = leaf.getNotBefore().toInstant();
        assertThat(nb).isBetween(before, Instant.now());
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(nb.atOffset(ZoneOffset.UTC).plusYears(1).toInstant());
        leaf.verify(leaf.getPublicKey());

        // The key file is SEC 1 with the curve named, which Go's parser needs.
        String keyPem = Files.readString(key);
        assertThat(keyPem).startsWith("-----BEGIN EC PRIVATE KEY-----");
        var sec1 = ECPrivateKey.getInstance(new PemReader(new StringReader(keyPem)).readPemObject().getContent());
        assertThat(sec1.getParametersObject()).hasToString("1.2.840.10045.3.1.7");
        assertThat(sec1.getPublicKey()).isNotNull();

        assertThat(output).contains("Using self-signed certificate for IP address \"127.0.0.1\"")
                .contains("{\"Name\":\"custom\",\"RegionID\":900,\"HostName\":\"127.0.0.1\",\"CertName\":\""
                        + SelfSignedIpCertificate.certName(leaf) + "\"}");
        assertThat(SelfSignedIpCertificate.certName(leaf)).matches("sha256-raw:[0-9a-f]{64}");

        // The next start reads the same files instead of making a new certificate.
        ManualCertificates again = ManualCertificates.open(dir, "127.0.0.1");
        assertThat(again.current().leaf()).isEqualTo(leaf);
    }

    @Test
    void ipv6HostnameUsesTheSanitisedFileName() throws Exception {
        ManualCertificates m = ManualCertificates.open(tmp, "::1");
        assertThat(tmp.resolve("1.crt")).exists();
        assertThat(tmp.resolve("1.key")).exists();
        assertThat(m.current().leaf().getSubjectAlternativeNames()).containsExactly(List.of(7, "0:0:0:0:0:0:0:1"));
    }

    @Test
    void c13_dnsHostnameLoadsFilesAndRequiresTheExactSni() throws Exception {
        var pair = TestPki.ecKey();
        TestPki.writePair(tmp, "derp.test", pair, TestPki.selfSigned(pair, "derp.test"));
        ManualCertificates m = ManualCertificates.open(tmp, "derp.test");
        assertThat(m.select(new CertificateSelector.Handshake("derp.test", null))).isSameAs(m.current());
        assertThat(m.select(new CertificateSelector.Handshake("other.test", null))).isNull();
        assertThat(m.select(new CertificateSelector.Handshake(null, null))).isNull();
    }

    @Test
    void ipHostnameAcceptsAnySniOrNone() throws Exception {
        ManualCertificates m = ManualCertificates.open(tmp, "127.0.0.1");
        assertThat(m.select(new CertificateSelector.Handshake(null, null))).isNotNull();
        assertThat(m.select(new CertificateSelector.Handshake("anything.test", null))).isNotNull();
    }

    @Test
    void missingFilesForADnsHostnameAreFatal() {
        assertThatThrownBy(() -> ManualCertificates.open(tmp, "derp.test"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("derper.hostname")
                .hasMessageContaining("derper.tls.cert-dir")
                .hasMessageContaining("derp.test.crt");
    }

    @Test
    void certificateForAnotherNameIsFatal() throws Exception {
        var pair = TestPki.ecKey();
        TestPki.writePair(tmp, "derp.test", pair, TestPki.selfSigned(pair, "other.test"));
        assertThatThrownBy(() -> ManualCertificates.open(tmp, "derp.test"))
                .hasMessageContaining("not valid for derper.hostname 'derp.test'");
    }

    @Test
    void keyNotMatchingTheCertificateIsFatal() throws Exception {
        var pair = TestPki.ecKey();
        var cert = TestPki.selfSigned(pair, "derp.test");
        TestPki.writePair(tmp, "derp.test", TestPki.ecKey(), cert);
        assertThatThrownBy(() -> ManualCertificates.open(tmp, "derp.test"))
                .hasMessageContaining("does not match");
    }

    @Test
    void reloadServesAChangedCertificateAndKeepsTheOldOneWhenTheNewIsBroken(CapturedOutput output) throws Exception {
        var p1 = TestPki.ecKey();
        TestPki.writePair(tmp, "derp.test", p1, TestPki.selfSigned(p1, "derp.test"));
        ManualCertificates m = ManualCertificates.open(tmp, "derp.test");
        CertifiedKey first = m.current();
        assertThat(m.reloadIfChanged()).isFalse();

        // A good replacement (different size/mtime is not guaranteed, so force the timestamp forward).
        var p2 = TestPki.rsaKey();
        var second = TestPki.selfSigned(p2, "derp.test");
        TestPki.writePair(tmp, "derp.test", p2, second);
        touch(tmp, 10);
        assertThat(m.reloadIfChanged()).isTrue();
        assertThat(m.current().leaf()).isEqualTo(second);
        assertThat(m.current().id()).isNotEqualTo(first.id());

        // A broken certificate file: the previous certificate stays, and why is logged.
        Files.writeString(tmp.resolve("derp.test.crt"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        touch(tmp, 20);
        assertThat(m.reloadIfChanged()).isFalse();
        assertThat(m.current().leaf()).isEqualTo(second);
        assertThat(output).contains("changed but cannot be loaded, keeping the previous one");

        // A valid certificate for the wrong name is refused as well.
        var p3 = TestPki.ecKey();
        TestPki.writePair(tmp, "derp.test", p3, TestPki.selfSigned(p3, "other.test"));
        touch(tmp, 30);
        assertThat(m.reloadIfChanged()).isFalse();
        assertThat(m.current().leaf()).isEqualTo(second);
        assertThat(output).contains("is not valid for derper.hostname 'derp.test', keeping the previous one");

        // Key written after the certificate: the half-written state is refused, the completed pair is taken.
        var p4 = TestPki.ecKey();
        var fourth = TestPki.selfSigned(p4, "derp.test");
        Files.writeString(tmp.resolve("derp.test.crt"), TestPki.pem(fourth));
        touch(tmp, 40);
        assertThat(m.reloadIfChanged()).isFalse();
        Files.writeString(tmp.resolve("derp.test.key"), TestPki.keyPem(p4));
        touch(tmp, 50);
        assertThat(m.reloadIfChanged()).isTrue();
        assertThat(m.current().leaf()).isEqualTo(fourth);
    }

    private static void touch(Path dir, int secondsAhead) throws Exception {
        var t = java.nio.file.attribute.FileTime.from(Instant.now().plus(Duration.ofSeconds(secondsAhead)));
        Files.setLastModifiedTime(dir.resolve("derp.test.crt"), t);
        Files.setLastModifiedTime(dir.resolve("derp.test.key"), t);
    }
}
