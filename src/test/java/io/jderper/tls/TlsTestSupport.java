package io.jderper.tls;

import io.jderper.key.NodePublicKey;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** A random server key and a capturing TLS client for the TLS tests (certificates: {@link io.jderper.testsupport.TestPki}). */
final class TlsTestSupport {
    private TlsTestSupport() {
    }

    static NodePublicKey randomServerKey() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return NodePublicKey.fromBytes(b);
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
