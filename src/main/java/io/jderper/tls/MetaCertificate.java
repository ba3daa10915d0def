package io.jderper.tls;

import io.jderper.key.NodePublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;

/**
 * The Ed25519 "meta certificate" appended after the real chain (derp-protocol §4.4.1). A TLS 1.3 client reads the
 * server's DERP key from its CN while the certificates are still encrypted, which lets it skip one round trip
 * (fast start). The signing key is thrown away: nobody verifies this certificate, clients only parse it, and Go's
 * parser rejects any chain containing a certificate it cannot parse, so the fields are kept exactly as the original.
 */
public final class MetaCertificate {
    /** The CN prefix clients look for; also what pinned-certificate clients skip. */
    public static final String COMMON_NAME_PREFIX = "derpkey";
    /** The DERP protocol version doubles as the serial number. */
    static final long SERIAL = 2;
    static final Duration HALF_VALIDITY = Duration.ofDays(30);

    private final X509Certificate certificate;

    private MetaCertificate(X509Certificate certificate) {
        this.certificate = certificate;
    }

    public static MetaCertificate create(NodePublicKey serverKey) {
        return create(serverKey, Instant.now());
    }

    public static MetaCertificate create(NodePublicKey serverKey, Instant now) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.CN, COMMON_NAME_PREFIX + HexFormat.of().formatHex(serverKey.toBytes()))
                    .build();
            // X.509 carries whole seconds; truncating keeps the encoded validity identical to what we compute.
            Instant start = now.truncatedTo(ChronoUnit.SECONDS);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name, BigInteger.valueOf(SERIAL),
                    Date.from(start.minus(HALF_VALIDITY)), Date.from(start.plus(HALF_VALIDITY)),
                    name, pair.getPublic());
            // macOS insists on basicConstraints when subject == issuer; cA=false encodes as an empty SEQUENCE.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            var signer = new JcaContentSignerBuilder("Ed25519").build(pair.getPrivate());
            return new MetaCertificate(new JcaX509CertificateConverter().getCertificate(builder.build(signer)));
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot create the DERP meta certificate", e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** Whether a certificate is a DERP meta certificate (clients skip these when pinning). */
    public static boolean isMetaCertificate(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName().startsWith("CN=" + COMMON_NAME_PREFIX);
    }
}
