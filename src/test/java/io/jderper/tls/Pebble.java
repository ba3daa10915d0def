package io.jderper.tls;

import io.jderper.testsupport.ExternalTools;
import io.jderper.testsupport.FreePorts;
import io.jderper.testsupport.TestPki;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * A real ACME server for tests: Debian's {@code pebble}, on loopback ports, with HTTP-01 validation sent to the
 * port the test names. Its HTTPS certificate is made here (the Debian package ships none).
 */
final class Pebble implements AutoCloseable {
    final int acmePort;
    final int managementPort;
    final Path apiCaPem;
    private final X509Certificate apiCert;
    private final Path log;
    private Process process;
    private Process dns;

    private Pebble(Path dir) throws Exception {
        this.acmePort = FreePorts.loopback();
        this.managementPort = FreePorts.loopback();
        var pair = TestPki.ecKey();
        apiCert = TestPki.selfSigned(pair, "pebble-test-api", Instant.now().minusSeconds(60), Duration.ofDays(2),
                "127.0.0.1", "localhost");
        this.apiCaPem = dir.resolve("pebble-api.pem");
        Files.writeString(apiCaPem, TestPki.pem(apiCert));
        Files.writeString(dir.resolve("pebble-api.key"), TestPki.keyPem(pair));
        this.log = dir.resolve("pebble.log");
    }

    /** Prepares ports and the API certificate; {@link #start} once the HTTP-01 port is known. */
    static Pebble prepare(Path dir) throws Exception {
        ExternalTools.require("pebble");
        return new Pebble(dir);
    }

    URI directory() {
        return URI.create("https://127.0.0.1:" + acmePort + "/dir");
    }

    /**
     * @param httpPort    where pebble sends HTTP-01 validation requests (our port-80 listener)
     * @param tlsPort     where pebble sends TLS-ALPN-01 validation handshakes (our TLS listener)
     * @param alwaysValid skip validation altogether
     */
    void start(Path dir, int httpPort, int tlsPort, boolean alwaysValid) throws Exception {
        // Host names resolve through pebble's companion mock DNS server: every name is 127.0.0.1, no IPv6.
        int dnsPort = FreePorts.loopback();
        dns = new ProcessBuilder(ExternalTools.require("pebble-challtestsrv").toString(),
                "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + FreePorts.loopback(), "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "")
                .redirectErrorStream(true).redirectOutput(dir.resolve("challtestsrv.log").toFile()).start();
        Path config = dir.resolve("pebble-config.json");
        Files.writeString(config, """
                {"pebble": {
                  "listenAddress": "127.0.0.1:%d",
                  "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s",
                  "privateKey": "%s",
                  "httpPort": %d,
                  "tlsPort": %d,
                  "ocspResponderURL": "",
                  "externalAccountBindingRequired": false
                }}
                """.formatted(acmePort, managementPort, apiCaPem, dir.resolve("pebble-api.key"), httpPort, tlsPort));
        ProcessBuilder pb = new ProcessBuilder(ExternalTools.require("pebble").toString(), "-config", config.toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PEBBLE_VA_NOSLEEP", "1");
        pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        if (alwaysValid) {
            pb.environment().put("PEBBLE_VA_ALWAYS_VALID", "1");
        }
        process = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("pebble exited: " + Files.readString(log));
            }
            if (listening(acmePort) && listening(managementPort) && directoryAnswers()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("pebble did not start: " + Files.readString(log));
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    private boolean directoryAnswers() {
        try {
            HttpResponse<String> r = apiClient().send(HttpRequest.newBuilder(directory()).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    private HttpClient apiClient() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("api", apiCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Pebble's issuing root, regenerated at each start, from its management interface. */
    X509Certificate root() throws Exception {
        HttpResponse<String> r = apiClient().send(HttpRequest.newBuilder(
                        URI.create("https://127.0.0.1:" + managementPort + "/roots/0")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return Pem.parseCertificates(r.body()).get(0);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : new Process[] {process, dns}) {
            if (p != null) {
                p.destroy();
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }
}
