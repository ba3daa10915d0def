package io.jderper.probe;

import io.jderper.tls.HostNames;
import io.jderper.tls.MetaCertificate;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How the prober decides whether a DERP node's certificate is good, the way Tailscale clients decide it: the JVM's
 * trusted roots (plus an optional extra CA file), the node's {@code HostName} — or {@code CertName} when the map sets
 * one — as the name to match, {@code CertName: "sha256-raw:<hex>"} as a pinned certificate instead of a chain, and
 * {@code InsecureForTests} as no check at all. The DERP meta certificate at the end of a jderper/derper chain is never
 * part of the check.
 */
final class ProbeTrust {
    private static final String PINNED_PREFIX = "sha256-raw:";

    private final List<X509TrustManager> anchors;
    private final Map<String, SslContext> contexts = new ConcurrentHashMap<>();

    private ProbeTrust(List<X509TrustManager> anchors) {
        this.anchors = anchors;
    }

    /**
     * @param extraCaFile PEM file with additional trusted CA certificates, or null
     */
    static ProbeTrust load(Path extraCaFile) {
        List<X509TrustManager> anchors = new ArrayList<>();
        try {
            anchors.add(pkix(null));
            if (extraCaFile != null) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                Collection<? extends Certificate> certs;
                try (InputStream in = Files.newInputStream(extraCaFile)) {
                    certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
                }
                if (certs.isEmpty()) {
                    throw new IllegalArgumentException("no certificates in " + extraCaFile);
                }
                int i = 0;
                for (Certificate c : certs) {
                    store.setCertificateEntry("extra-" + i++, c);
                }
                anchors.add(pkix(store));
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot load trusted CA certificates from " + extraCaFile + ": " + e.getMessage(), e);
        }
        return new ProbeTrust(List.copyOf(anchors));
    }

    private static X509TrustManager pkix(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager available");
    }

    /** The name a node's certificate must carry. */
    static String expectedName(DerpMap.Node node) {
        String cert = node.certName();
        return cert != null && !cert.isEmpty() && !cert.startsWith(PINNED_PREFIX) ? cert : node.hostName();
    }

    /** A client TLS context that checks certificates for this node as described above; cached per rule. */
    SslContext clientContext(DerpMap.Node node) {
        String key = node.insecureForTests() + "|" + node.certName() + "|" + node.hostName();
        return contexts.computeIfAbsent(key, k -> {
            try {
                return SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                        .trustManager(new NodeTrustManager(node))
                        // Names are checked by NodeTrustManager: the name may be CertName, not the dialled host.
                        .endpointIdentificationAlgorithm(null)
                        .build();
            } catch (SSLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * Checks a presented chain for a node.
     *
     * @throws CertificateException saying why the chain is not acceptable
     */
    void check(X509Certificate[] presented, String authType, DerpMap.Node node) throws CertificateException {
        if (node.insecureForTests()) {
            return;
        }
        List<X509Certificate> chain = withoutMetaCertificates(presented);
        if (chain.isEmpty()) {
            throw new CertificateException("no certificate presented");
        }
        String certName = node.certName() == null ? "" : node.certName();
        if (certName.startsWith(PINNED_PREFIX)) {
            checkPinned(chain, certName.substring(PINNED_PREFIX.length()), node.hostName());
            return;
        }
        X509Certificate[] real = chain.toArray(X509Certificate[]::new);
        CertificateException first = null;
        boolean trusted = false;
        for (X509TrustManager anchor : anchors) {
            try {
                anchor.checkServerTrusted(real, authType);
                trusted = true;
                break;
            } catch (CertificateException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (!trusted) {
            throw new CertificateException("certificate is not trusted: " + rootMessage(first), first);
        }
        String name = expectedName(node);
        if (!HostNames.certificateMatches(real[0], name)) {
            throw new CertificateException("certificate is not valid for \"" + name + "\"");
        }
    }

    private static void checkPinned(List<X509Certificate> chain, String wantHex, String hostName)
            throws CertificateException {
        if (chain.size() > 1) {
            throw new CertificateException("unexpected multiple certs presented");
        }
        X509Certificate cert = chain.get(0);
        String got;
        try {
            got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new CertificateException(e);
        }
        if (!got.equalsIgnoreCase(wantHex)) {
            throw new CertificateException("cert hash does not match expected cert hash");
        }
        // As Tailscale clients: an IP host name sends no server name, so only a DNS host name is matched.
        if (HostNames.ipLiteral(hostName).isEmpty() && !HostNames.certificateMatches(cert, hostName)) {
            throw new CertificateException("cert does not match server name \"" + hostName + "\"");
        }
        cert.checkValidity();
    }

    static List<X509Certificate> withoutMetaCertificates(X509Certificate[] chain) {
        List<X509Certificate> out = new ArrayList<>(chain.length);
        for (X509Certificate c : chain) {
            if (!isMetaCertificate(c)) {
                out.add(c);
            }
        }
        return out;
    }

    static boolean isMetaCertificate(X509Certificate c) {
        return MetaCertificate.isMetaCertificate(c);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t != null && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == null ? "unknown reason" : String.valueOf(t.getMessage());
    }

    /** Adapts {@link #check} to the JSSE interface; only the server side is ever used. */
    private final class NodeTrustManager extends X509ExtendedTrustManager {
        private final DerpMap.Node node;

        NodeTrustManager(DerpMap.Node node) {
            this.node = node;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType, node);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, authType, node);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, authType, node);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not accepted");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("client certificates are not accepted");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("client certificates are not accepted");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
