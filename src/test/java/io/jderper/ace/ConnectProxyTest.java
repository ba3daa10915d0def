package io.jderper.ace;

import io.jderper.testsupport.FreePorts;
import io.jderper.testsupport.LoopbackServerTest;
import io.jderper.testsupport.LoopbackTls;
import io.jderper.testsupport.RawHttp;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CONNECT proxy on a TLS main listener, tunnelling to loopback targets that stand in for the control plane.
 * The proxy admits {@code *.control.test}, which the test's resolver maps to 127.0.0.1, on the targets' ports.
 * Metric assertions use deltas: the tests share one server.
 */
@LoopbackServerTest
@TestPropertySource(properties = {
        // Half-close through the tunnel relies on the JDK engine keeping output open after close_notify.
        "derper.tls.provider=jdk",
        "derper.ace.enabled=true",
        "derper.ace.allowed-host-suffixes=.control.test",
        "derper.ace.idle-timeout=6s",
        "derper.ace.connect-timeout=5s",
})
class ConnectProxyTest {
    private static final ScriptedTarget PLAIN;
    private static final ScriptedTarget TLS;
    /** A loopback port nothing listens on, allowed by the policy: dialing it is refused. */
    private static final int CLOSED_PORT;

    static {
        try {
            PLAIN = ScriptedTarget.plain();
            TLS = ScriptedTarget.tls();
            CLOSED_PORT = FreePorts.loopback();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        LoopbackTls.manualTls(registry, "jderper-ace-test");
        registry.add("derper.ace.allowed-ports", () -> PLAIN.port() + "," + TLS.port() + "," + CLOSED_PORT);
    }

    @TestBean(name = "aceTargetResolver")
    TargetResolver resolver;

    static TargetResolver aceTargetResolver() {
        return host -> {
            if (host.endsWith(".control.test") && !host.startsWith("unknown.")) {
                try {
                    return CompletableFuture.completedFuture(List.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1})));
                } catch (UnknownHostException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
            return CompletableFuture.failedFuture(new UnknownHostException(host));
        };
    }

    @AfterAll
    static void stopTargets() throws IOException {
        PLAIN.close();
        TLS.close();
    }

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry registry;

    // ---- the happy path ----

    @Test
    void tunnelToATlsTargetCarriesMegabytesIntactBothWays() throws Exception {
        TLS.script(ConnectProxyTest::echo);
        try (SSLSocket outer = tunnel("api.control.test:" + TLS.port());
             SSLSocket inner = (SSLSocket) LoopbackTls.trustAll().getSocketFactory()
                     .createSocket(outer, "api.control.test", TLS.port(), true)) {
            inner.startHandshake();
            assertThat(inner.getSession().getProtocol()).isEqualTo("TLSv1.3");
            byte[] data = random(4 << 20, 1);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeQuietly(inner, data));
            byte[] back = inner.getInputStream().readNBytes(data.length);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(sha256(back)).isEqualTo(sha256(data));
        }
    }

    @Test
    void bytesAreCountedExactlyEachWayAndTheTunnelGaugeFollows() throws Exception {
        PLAIN.script(ConnectProxyTest::echo);
        double toTarget = counter("derper_ace_bytes", "direction", "to_target");
        double toClient = counter("derper_ace_bytes", "direction", "to_client");
        double ok = counter("derper_ace_connections", "result", "ok");
        byte[] data = random(1 << 20, 2);
        try (SSLSocket s = tunnel("api.control.test:" + PLAIN.port())) {
            assertThat(gauge("derper_ace_tunnels")).isGreaterThanOrEqualTo(1);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeQuietly(s, data));
            byte[] back = s.getInputStream().readNBytes(data.length);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(back).isEqualTo(data);
        }
        await(() -> gauge("derper_ace_tunnels") == 0);
        assertThat(counter("derper_ace_bytes", "direction", "to_target") - toTarget).isEqualTo(data.length);
        assertThat(counter("derper_ace_bytes", "direction", "to_client") - toClient).isEqualTo(data.length);
        assertThat(counter("derper_ace_connections", "result", "ok") - ok).isEqualTo(1);
    }

    @Test
    void bytesPipelinedBehindTheConnectRequestReachTheTarget() throws Exception {
        CompletableFuture<byte[]> seen = new CompletableFuture<>();
        PLAIN.script(s -> seen.complete(s.getInputStream().readNBytes(11)));
        try (SSLSocket s = connectTls()) {
            String authority = "api.control.test:" + PLAIN.port();
            s.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\nhello early")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(RawHttp.readHead(s.getInputStream())).isEqualTo("HTTP/1.1 200 OK\r\n\r\n");
            assertThat(new String(seen.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII)).isEqualTo("hello early");
        }
    }

    // ---- half-close ----

    @Test
    void clientHalfCloseLetsTheTargetAnswerAfterItsEndOfInput() throws Exception {
        PLAIN.script(s -> {
            byte[] all = s.getInputStream().readAllBytes(); // to the client's end of input
            s.getOutputStream().write(sha256(all));
            s.getOutputStream().flush();
        });
        byte[] data = random(1 << 20, 3);
        try (SSLSocket s = tunnel("api.control.test:" + PLAIN.port())) {
            s.getOutputStream().write(data);
            s.getOutputStream().flush();
            s.shutdownOutput(); // TLS close_notify
            assertThat(s.getInputStream().readNBytes(32)).isEqualTo(sha256(data));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void targetHalfCloseLetsTheClientKeepSending() throws Exception {
        byte[] fromTarget = random(1 << 20, 4);
        byte[] fromClient = random(512 << 10, 5);
        CompletableFuture<byte[]> targetGot = new CompletableFuture<>();
        PLAIN.script(s -> {
            s.getOutputStream().write(fromTarget);
            s.getOutputStream().flush();
            s.shutdownOutput();
            targetGot.complete(s.getInputStream().readAllBytes());
        });
        try (SSLSocket s = tunnel("api.control.test:" + PLAIN.port())) {
            byte[] got = s.getInputStream().readAllBytes(); // ends at the target's FIN, passed on as close_notify
            assertThat(sha256(got)).isEqualTo(sha256(fromTarget));
            s.getOutputStream().write(fromClient);
            s.getOutputStream().flush();
            s.shutdownOutput();
            assertThat(sha256(targetGot.get(20, TimeUnit.SECONDS))).isEqualTo(sha256(fromClient));
        }
    }

    // ---- back-pressure ----

    @Test
    void aClientThatDoesNotReadStallsTheTargetWhileTheServerBuffersLittle() throws Exception {
        int total = 48 << 20;
        AtomicLong written = new AtomicLong();
        CompletableFuture<byte[]> sent = new CompletableFuture<>();
        PLAIN.script(s -> {
            s.setSendBufferSize(64 << 10);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Random r = new Random(6);
            byte[] chunk = new byte[64 << 10];
            OutputStream out = s.getOutputStream();
            while (written.get() < total) {
                r.nextBytes(chunk);
                out.write(chunk);
                md.update(chunk);
                written.addAndGet(chunk.length);
            }
            out.flush();
            sent.complete(md.digest());
        });
        try (SSLSocket s = tunnel("api.control.test:" + PLAIN.port(), 64 << 10)) {
            // Wait for the target to stall: nothing more gets written for a while although the client is connected.
            long last = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                long now = written.get();
                if (now == last && now > 0) {
                    break;
                }
                last = now;
                Thread.sleep(400);
            }
            assertThat(written.get()).as("target stalls well before all is written").isLessThan(total / 2);
            double maxBuffered = 0;
            for (int i = 0; i < 5; i++) {
                maxBuffered = Math.max(maxBuffered, gauge("derper_ace_buffered_bytes"));
                Thread.sleep(50);
            }
            // The high water mark is 64 KiB per side; one read of overshoot plus TLS framing stays within 4x.
            assertThat(maxBuffered).isLessThanOrEqualTo(4 * 64 * 1024);

            MessageDigest md = MessageDigest.getInstance("SHA-256");
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 << 10];
            long read = 0;
            while (read < total) {
                int n = in.read(buf);
                assertThat(n).isPositive();
                md.update(buf, 0, n);
                read += n;
            }
            assertThat(md.digest()).isEqualTo(sent.get(10, TimeUnit.SECONDS));
        }
    }

    // ---- idle ----

    @Test
    void aTunnelCarryingNothingClosesAfterTheIdleTimeout() throws Exception {
        PLAIN.script(s -> s.getInputStream().readAllBytes());
        double idle = counter("derper_ace_idle_timeouts");
        try (SSLSocket s = tunnel("api.control.test:" + PLAIN.port())) {
            long start = System.nanoTime();
            s.setSoTimeout(30_000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(elapsedMs).isGreaterThanOrEqualTo(5_000);
        } catch (java.net.SocketException reset) {
            // a close after the idle timeout may surface as a reset; the counter below still decides
        }
        assertThat(counter("derper_ace_idle_timeouts") - idle).isEqualTo(1);
    }

    // ---- refusals ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "other.example:{plain}       | bad_host",
            "api.tailscale.com:{plain}   | bad_host",
            "derp1.control.test:{plain}  | bad_host",
            "DERP1.control.test:{plain}  | bad_host",
            "api.control.test:1          | bad_port",
            "api.control.test:0{plain}   | bad_port",
            "api.control.test            | bad_request",
            "[::1]:{plain}               | bad_host",
            "/path                       | bad_request",
    })
    void refusedTargetsGet403InvalidConnectTarget(String authority, String result) throws Exception {
        String target = authority.replace("{plain}", String.valueOf(PLAIN.port()));
        double before = counter("derper_ace_connections", "result", result);
        String response = refusal(target);
        assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n")
                .contains("\r\nContent-Type: text/plain; charset=utf-8\r\n")
                .contains("\r\nX-Content-Type-Options: nosniff\r\n")
                .contains("\r\nContent-Length: 23\r\n")
                .endsWith("\r\n\r\nInvalid CONNECT target\n");
        assertThat(counter("derper_ace_connections", "result", result) - before).isEqualTo(1);
    }

    @Test
    void anAllowedTargetThatRefusesTheDialGets502ConnectFailure() throws Exception {
        double before = counter("derper_ace_connections", "result", "dial_failed");
        String response = refusal("api.control.test:" + CLOSED_PORT);
        assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").endsWith("\r\n\r\nConnect failure\n");
        assertThat(counter("derper_ace_connections", "result", "dial_failed") - before).isEqualTo(1);
    }

    @Test
    void aNameThatDoesNotResolveGets502ConnectFailure() throws Exception {
        double before = counter("derper_ace_connections", "result", "dial_failed");
        String response = refusal("unknown.control.test:" + PLAIN.port());
        assertThat(response).startsWith("HTTP/1.1 502 Bad Gateway\r\n").endsWith("\r\n\r\nConnect failure\n");
        assertThat(counter("derper_ace_connections", "result", "dial_failed") - before).isEqualTo(1);
    }

    @Test
    void otherRequestsOnTheSameListenerAreUntouched() throws Exception {
        try (SSLSocket s = connectTls()) {
            s.getOutputStream().write("GET /generate_204 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(RawHttp.readHead(s.getInputStream())).startsWith("HTTP/1.1 204 ");
        }
    }

    // ---- helpers ----

    private SSLSocket connectTls() throws Exception {
        return connectTls(0);
    }

    private SSLSocket connectTls(int receiveBuffer) throws Exception {
        SSLSocket s = (SSLSocket) LoopbackTls.trustAll().getSocketFactory().createSocket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(30_000);
        s.startHandshake();
        return s;
    }

    private SSLSocket tunnel(String authority) throws Exception {
        return tunnel(authority, 0);
    }

    /** Opens a tunnel and checks the success response byte for byte. */
    private SSLSocket tunnel(String authority, int receiveBuffer) throws Exception {
        SSLSocket s = connectTls(receiveBuffer);
        s.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        assertThat(RawHttp.readHead(s.getInputStream())).isEqualTo("HTTP/1.1 200 OK\r\n\r\n");
        return s;
    }

    /** The whole response to a refused CONNECT: the server closes after it. */
    private String refusal(String authority) throws Exception {
        try (SSLSocket s = connectTls()) {
            s.getOutputStream().write(("CONNECT " + authority + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void echo(Socket s) throws IOException {
        s.getInputStream().transferTo(s.getOutputStream());
    }

    private static void writeQuietly(Socket s, byte[] data) {
        try {
            s.getOutputStream().write(data);
            s.getOutputStream().flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).functionCounter();
        return c == null ? 0 : c.count();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
