package io.jderper.tls;

import io.jderper.key.NodePublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/** Certificates and a capturing TLS client for the TLS tests. */
final class TlsTestSupport {
    private TlsTestSupport() {
    }

    static NodePublicKey randomServerKey() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return NodePublicKey.fromBytes(b);
    }

    static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static KeyPair rsaKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    /** A self-signed leaf for the DNS names / IPs given (an entry that parses as IP becomes an IP SAN). */
    static X509Certificate selfSigned(KeyPair pair, String cn, Instant notBefore, Duration validity, String... names)
            throws Exception {
        X500Name name = new X500Name("CN=" + cn);
        var b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(new SecureRandom().nextInt(1 << 30)),
                Date.from(notBefore), Date.from(notBefore.plus(validity)), name, pair.getPublic());
        List<GeneralName> gns = new ArrayList<>();
        for (String n : names) {
            gns.add(HostNames.ipLiteral(n).isPresent()
                    ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n));
        }
        if (!gns.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(gns.toArray(GeneralName[]::new)));
        }
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        String alg = pair.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(pair.getPrivate())));
    }

    static X509Certificate selfSigned(KeyPair pair, String... names) throws Exception {
        return selfSigned(pair, names.length > 0 ? names[0] : "test", Instant.now().minusSeconds(60), Duration.ofDays(90), names);
    }

    static String keyPem(KeyPair pair) {
        if (pair.getPrivate().getAlgorithm().equals("EC")) {
            return Pem.ecPrivateKey(pair);
        }
        return "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    static void writePair(Path dir, String base, KeyPair pair, X509Certificate cert) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(base + ".crt"), Pem.certificates(List.of(cert)));
        Files.writeString(dir.resolve(base + ".key"), keyPem(pair));
    }

    /** What a client saw in one handshake. */
    record Seen(List<X509Certificate> chain, String protocol, String applicationProtocol) {
    }

    /** Connects, handshakes and records the chain. No trust checks: the tests inspect the chain themselves. */
    static Seen handshake(int port, String sni, String[] protocols, String[] alpn) throws IOException {
        List<X509Certificate> seen = new ArrayList<>();
        X509TrustManager capture = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                seen.addAll(List.of(chain));
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {capture}, null);
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(10_000);
                SSLParameters p = s.getSSLParameters();
                p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
                if (protocols != null) {
                    p.setProtocols(protocols);
                }
                if (alpn != null) {
                    p.setApplicationProtocols(alpn);
                }
                s.setSSLParameters(p);
                s.startHandshake();
                return new Seen(seen, s.getSession().getProtocol(), s.getApplicationProtocol());
            }
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Seen handshake(int port, String sni) throws IOException {
        return handshake(port, sni, null, null);
    }
}
