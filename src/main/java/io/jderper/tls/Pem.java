package io.jderper.tls;

import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.List;

/** PEM in the formats the original reads and writes, so a certificate directory can move between the two. */
final class Pem {
    private Pem() {
    }

    static List<X509Certificate> parseCertificates(String pem) throws CertificateException {
        List<X509Certificate> out = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(onlyCertificateBlocks(pem).getBytes(java.nio.charset.StandardCharsets.US_ASCII)))) {
            out.add((X509Certificate) c);
        }
        if (out.isEmpty()) {
            throw new CertificateException("no CERTIFICATE block found");
        }
        return out;
    }

    /** Keeps only CERTIFICATE blocks: autocert's cache files hold the key first, in the same file. */
    private static String onlyCertificateBlocks(String pem) {
        StringBuilder sb = new StringBuilder();
        int from = 0;
        while (true) {
            int start = pem.indexOf("-----BEGIN CERTIFICATE-----", from);
            if (start < 0) {
                return sb.toString();
            }
            int end = pem.indexOf("-----END CERTIFICATE-----", start);
            if (end < 0) {
                return sb.toString();
            }
            end += "-----END CERTIFICATE-----".length();
            sb.append(pem, start, end).append('\n');
            from = end;
        }
    }

    /** The first private key in the text: {@code EC PRIVATE KEY}, {@code RSA PRIVATE KEY} or PKCS#8 {@code PRIVATE KEY}. */
    static PrivateKey parsePrivateKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
        }
        throw new IOException("no private key block found");
    }

    /** A key pair from a PEM private key that carries its public key (SEC 1 as Go writes it, or PKCS#1). */
    static KeyPair parseKeyPair(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    return new JcaPEMKeyConverter().getKeyPair(pair);
                }
            }
        }
        throw new IOException("no EC or RSA private key block found");
    }

    static String certificates(List<X509Certificate> chain) {
        StringWriter out = new StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            for (X509Certificate c : chain) {
                w.writeObject(new PemObject("CERTIFICATE", c.getEncoded()));
            }
        } catch (IOException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    /**
     * SEC 1 {@code EC PRIVATE KEY} with the curve OID and public key included. The JDK's own encoding omits the
     * curve, which Go's parser refuses; the original must be able to read what we write.
     */
    static String ecPrivateKey(KeyPair pair) {
        if (!(pair.getPrivate() instanceof ECPrivateKey ec)) {
            throw new IllegalArgumentException("not an EC key: " + pair.getPrivate().getAlgorithm());
        }
        if (ec.getParams().getOrder().bitLength() != 256) {
            throw new IllegalArgumentException("only P-256 keys are written");
        }
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pair.getPublic().getEncoded());
            var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
                    ec.getParams().getOrder().bitLength(), ec.getS(),
                    new DERBitString(spki.getPublicKeyData().getBytes()),
                    SECObjectIdentifiers.secp256r1);
            StringWriter out = new StringWriter();
            try (PemWriter w = new PemWriter(out)) {
                w.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            }
            return out.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
