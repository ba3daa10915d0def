package io.jderper.tls;

import io.jderper.key.NodePublicKey;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** C-11: the meta certificate's fields, exactly as derp-protocol §4.4.1 lists them. */
class MetaCertificateTest {

    @Test
    void c11_fieldsMatchTheOriginal() throws Exception {
        NodePublicKey key = TlsTestSupport.randomServerKey();
        Instant now = Instant.parse("2026-03-04T05:06:07.890Z");
        var cert = MetaCertificate.create(key, now).certificate();

        String cn = "CN=derpkey" + HexFormat.of().formatHex(key.toBytes());
        assertThat(cert.getVersion()).isEqualTo(3);
        assertThat(cert.getSerialNumber()).isEqualTo(BigInteger.TWO);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo(cn);
        assertThat(cert.getIssuerX500Principal().getName()).isEqualTo(cn);
        assertThat(cert.getSigAlgName()).isEqualTo("Ed25519");
        assertThat(cert.getPublicKey().getAlgorithm()).isIn("Ed25519", "EdDSA");
        assertThat(cert.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-02-02T05:06:07Z"));
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-04-03T05:06:07Z"));
        assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(60));

        // Exactly one extension: basicConstraints, critical, cA=false encoded as an empty SEQUENCE.
        assertThat(cert.getCriticalExtensionOIDs()).isEqualTo(Set.of("2.5.29.19"));
        assertThat(cert.getNonCriticalExtensionOIDs()).isNullOrEmpty();
        assertThat(cert.getExtensionValue("2.5.29.19")).containsExactly(0x04, 0x02, 0x30, 0x00);
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);

        cert.verify(cert.getPublicKey());
        cert.checkValidity(java.util.Date.from(now));
        assertThat(MetaCertificate.isMetaCertificate(cert)).isTrue();
    }

    @Test
    void freshSigningKeyEachTime() {
        NodePublicKey key = TlsTestSupport.randomServerKey();
        var a = MetaCertificate.create(key).certificate();
        var b = MetaCertificate.create(key).certificate();
        assertThat(a.getPublicKey()).isNotEqualTo(b.getPublicKey());
        assertThat(a.getSubjectX500Principal()).isEqualTo(b.getSubjectX500Principal());
    }
}
