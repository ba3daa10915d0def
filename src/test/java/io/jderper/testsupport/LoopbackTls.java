package io.jderper.testsupport;

import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.springframework.test.context.DynamicPropertyRegistry;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * A test server on the TLS listener, and clients for it. The server side is manual mode for the IP host name
 * 127.0.0.1, for which the server makes and stores its own self-signed certificate ({@link #manualTls}). The clients
 * trust anything: these tests are about the listener, not about certificate checks.
 */
public final class LoopbackTls {
    public static final String HOST = "127.0.0.1";

    private LoopbackTls() {
    }

    /**
     * {@code derper.tls.mode=manual} and {@code derper.hostname=127.0.0.1}, with {@code derper.key-file} and {@code
     * derper.tls.cert-dir} in a new temporary directory. Registered as dynamic properties, these win over the test's
     * and its base class's {@code @TestPropertySource}.
     */
    public static Path manualTls(DynamicPropertyRegistry registry, String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        registry.add("derper.tls.mode", () -> "manual");
        registry.add("derper.hostname", () -> HOST);
        registry.add("derper.key-file", () -> dir.resolve("derper.key").toString());
        registry.add("derper.tls.cert-dir", () -> dir.resolve("certs").toString());
        return dir;
    }

    /** A client context that accepts any server certificate. */
    public static SSLContext trustAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS (not yet handshaken) over an open connection to the server; closing it closes {@code tcp}. */
    public static SSLSocket over(Socket tcp) throws IOException {
        return (SSLSocket) trustAll().getSocketFactory().createSocket(tcp, HOST, tcp.getPort(), true);
    }
}
