package io.jderper.ace;

import io.jderper.testsupport.TestPki;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;

/**
 * A loopback stand-in for the control plane: accepts connections and runs the current script on each, on its own
 * thread. Plain TCP or TLS (a self-signed certificate, for TLS inside the proxy's TLS).
 */
final class ScriptedTarget implements AutoCloseable {

    @FunctionalInterface
    interface Script {
        void run(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private volatile Script script = s -> { };

    private ScriptedTarget(ServerSocket server) {
        this.server = server;
        Thread t = new Thread(this::acceptLoop, "ace-test-target-" + server.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    static ScriptedTarget plain() throws IOException {
        return new ScriptedTarget(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
    }

    static ScriptedTarget tls() throws Exception {
        KeyPair key = TestPki.ecKey();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("target", key.getPrivate(), new char[0],
                new Certificate[] {TestPki.selfSigned(key, "api.control.test")});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        return new ScriptedTarget(s);
    }

    int port() {
        return server.getLocalPort();
    }

    void script(Script next) {
        this.script = next;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Script current = script;
                Thread t = new Thread(() -> {
                    try (s) {
                        current.run(s);
                    } catch (Exception ignored) {
                        // the test that set the script asserts on what it saw
                    }
                }, "ace-test-target-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
