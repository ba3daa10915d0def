package io.jderper.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * The certificate manual mode makes for itself when {@code derper.hostname} is an IP address and no files exist
 * (spec §12.1). Clients pin it by hash ({@code CertName: sha256-raw:...}), so nothing about it needs a CA.
 */
final class SelfSignedIpCertificate {
    private SelfSignedIpCertificate() {
    }

    record Generated(KeyPair pair, X509Certificate certificate) {
        CertifiedKey certifiedKey() {
            return CertifiedKey.of(pair.getPrivate(), List.of(certificate));
        }
    }

    static Generated create(String ipText, InetAddress ip, Instant now) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = gen.generateKeyPair();
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, ipText).build();
            Instant start = now.truncatedTo(ChronoUnit.SECONDS);
            // One calendar year: longer is refused by macOS and others.
            Instant end = start.atOffset(ZoneOffset.UTC).plusYears(1).toInstant();
            var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(128, new SecureRandom()),
                    Date.from(start), Date.from(end), name, pair.getPublic());
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, new org.bouncycastle.asn1.DEROctetString(ip.getAddress()))));
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate());
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
            return new Generated(pair, cert);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a self-signed certificate for " + ipText, e);
        }
    }

    /** Creates the certificate and writes it where manual mode looks for it: cert 0644, key 0600, directory 0700. */
    static CertifiedKey createAndWrite(String ipText, InetAddress ip, Path certFile, Path keyFile) throws java.io.IOException {
        Generated g = create(ipText, ip, Instant.now());
        CertFiles.ensureDirectory(certFile.toAbsolutePath().getParent());
        CertFiles.writeAtomically(certFile, Pem.certificates(List.of(g.certificate())), CertFiles.CERT_MODE);
        CertFiles.writeAtomically(keyFile, Pem.ecPrivateKey(g.pair()), CertFiles.KEY_MODE);
        return g.certifiedKey();
    }

    /** The {@code CertName} clients use to pin a self-signed certificate. */
    static String certName(X509Certificate cert) {
        try {
            return "sha256-raw:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
