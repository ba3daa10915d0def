package io.jderper.testsupport;

import io.netty.util.NetUtil;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Keys and certificates for the tests, and the PEM files the server reads: self-signed leaves ({@link #selfSigned}),
 * or a throw-away CA ({@link #ca}) that signs leaves and CRLs. A name that is an IP literal becomes an IP SAN, any
 * other a DNS SAN; the first name is also the subject's CN.
 */
public final class TestPki {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyPair caKey;
    private final X509Certificate caCertificate;

    private TestPki(KeyPair caKey, X509Certificate caCertificate) {
        this.caKey = caKey;
        this.caCertificate = caCertificate;
    }

    /** A key and the certificate for it. */
    public record Leaf(KeyPair key, X509Certificate cert) {
    }

    // ---- keys ----

    /** P-256, what the original generates and most tests use. */
    public static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    public static KeyPair rsaKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    // ---- self-signed leaves ----

    /** A self-signed leaf for the names, valid from a minute ago for 90 days. */
    public static X509Certificate selfSigned(KeyPair key, String... names) throws Exception {
        return selfSigned(key, names.length > 0 ? names[0] : "test", Instant.now().minusSeconds(60), Duration.ofDays(90), names);
    }

    /** A self-signed leaf with the given subject CN and validity; without names it has no SAN extension. */
    public static X509Certificate selfSigned(KeyPair key, String cn, Instant notBefore, Duration validity, String... names)
            throws Exception {
        X500Name subject = new X500Name("CN=" + cn);
        var b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(notBefore), Date.from(notBefore.plus(validity)),
                subject, key.getPublic());
        if (names.length > 0) {
            b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(names));
        }
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        return sign(b, key);
    }

    // ---- a CA ----

    /** A new CA named {@code CN=<name>,O=jderper tests}, valid for ten years. */
    public static TestPki ca(String name) throws Exception {
        KeyPair key = ecKey();
        X500Name subject = new X500Name("CN=" + name + ",O=jderper tests");
        Instant now = Instant.now();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        var b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(3650))), subject, key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(key.getPublic()));
        return new TestPki(key, sign(b, key));
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** The CA itself as a leaf: its key and its (self-signed) certificate. */
    public Leaf caLeaf() {
        return new Leaf(caKey, caCertificate);
    }

    /** A leaf signed by this CA for the names, valid from an hour ago for 90 days. */
    public Leaf leaf(String... names) throws Exception {
        Instant now = Instant.now();
        return leaf(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(90)), null, names);
    }

    /** A leaf signed by this CA; {@code crlUrl}, when not null, goes into its CRL distribution points. */
    public Leaf leaf(Instant notBefore, Instant notAfter, String crlUrl, String... names) throws Exception {
        KeyPair key = ecKey();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        var b = new JcaX509v3CertificateBuilder(issuer(), serial(), Date.from(notBefore), Date.from(notAfter),
                new X500Name("CN=" + names[0]), key.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(names));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCertificate));
        if (crlUrl != null) {
            DistributionPoint dp = new DistributionPoint(new DistributionPointName(new GeneralNames(
                    new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl))), null, null);
            b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {dp}));
        }
        return new Leaf(key, sign(b, caKey));
    }

    /** A CRL signed by this CA, revoking the given certificates. */
    public X509CRL crl(X509Certificate... revoked) throws Exception {
        Instant now = Instant.now();
        X509v2CRLBuilder b = new X509v2CRLBuilder(issuer(), Date.from(now));
        b.setNextUpdate(Date.from(now.plus(Duration.ofDays(7))));
        for (X509Certificate c : revoked) {
            b.addCRLEntry(c.getSerialNumber(), Date.from(now.minus(Duration.ofMinutes(5))), CRLReason.keyCompromise);
        }
        return new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    }

    /** Writes {@code <base>.crt} (the leaf, then this CA) and {@code <base>.key} into dir, the manual-mode layout. */
    public void writeManual(Path dir, String base, Leaf leaf) throws IOException {
        writePair(dir, base, leaf.key(), leaf.cert(), caCertificate);
    }

    /** Writes this CA's certificate as PEM, for a client's trust file. */
    public Path writeCa(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, pem(caCertificate));
    }

    // ---- PEM ----

    /** Certificates, CRLs or {@link PemObject}s as PEM blocks, in order. */
    public static String pem(Object... objects) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                pw.writeObject(o);
            }
        }
        return w.toString();
    }

    /**
     * The private key as PEM: an EC key as SEC 1 {@code EC PRIVATE KEY} with its curve and public key, the way Go and
     * {@code openssl ecparam} write it; any other as PKCS#8 {@code PRIVATE KEY}.
     */
    public static String keyPem(KeyPair key) throws IOException {
        if (key.getPrivate() instanceof ECPrivateKey ec) {
            var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(ec.getParams().getOrder().bitLength(), ec.getS(),
                    new DERBitString(SubjectPublicKeyInfo.getInstance(key.getPublic().getEncoded()).getPublicKeyData().getBytes()),
                    SECObjectIdentifiers.secp256r1);
            return pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
        }
        return pem(new PemObject("PRIVATE KEY", key.getPrivate().getEncoded()));
    }

    /** Writes {@code <base>.crt} (the chain, leaf first) and {@code <base>.key} into dir, creating it. */
    public static void writePair(Path dir, String base, KeyPair key, X509Certificate... chain) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(base + ".crt"), pem((Object[]) chain));
        Files.writeString(dir.resolve(base + ".key"), keyPem(key));
    }

    // ---- building blocks ----

    private X500Name issuer() {
        return X500Name.getInstance(caCertificate.getSubjectX500Principal().getEncoded());
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(RANDOM.nextInt(1 << 30));
    }

    private static GeneralNames subjectAltNames(String... names) {
        List<GeneralName> sans = new ArrayList<>();
        for (String n : names) {
            boolean ip = NetUtil.isValidIpV4Address(n) || NetUtil.isValidIpV6Address(n);
            sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
        }
        return new GeneralNames(sans.toArray(GeneralName[]::new));
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer) throws Exception {
        String alg = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer.getPrivate())));
    }
}
