package io.jderper.server;

import io.jderper.JderperApplication;
import io.jderper.key.ServerKeyFile;
import io.jderper.protocol.Frame;
import io.jderper.testsupport.LoopbackArgs;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starting from the original's command line, failing fast on bad config, and the graceful shutdown. */
class LifecycleTest {

    private static ConfigurableApplicationContext start(String... args) {
        return JderperApplication.start(args);
    }

    private static int port(ConfigurableApplicationContext ctx) {
        return Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
    }

    @Test
    void originalCommandLineStartsAndUsesTheKeyFile(@TempDir Path dir) throws Exception {
        Path keyFile = dir.resolve("derper.json");
        Files.writeString(keyFile, "{\"PrivateKey\": \"privkey:0002030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f60\"}");
        Path meshKey = dir.resolve("mesh.key");
        Files.writeString(meshKey, "  " + "ab".repeat(32) + "\n");
        try (var ctx = start(LoopbackArgs.with(keyFile, "-mesh-psk-file", meshKey.toString()))) {
            DerpServer server = ctx.getBean(DerpServer.class);
            assertThat(server.identity().publicKey().toHex())
                    .isEqualTo("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c");
            assertThat(server.meshKey()).isPresent();
            try (TestClient a = TestClient.connect(URI.create("http://127.0.0.1:" + port(ctx) + "/derp"))) {
                assertThat(a.client.serverKey()).isEqualTo(server.identity().publicKey());
            }
        }
    }

    @Test
    void c57_c66_c73_badConfigurationFailsNamingTheProperty(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("k.json");
        ServerKeyFile.loadOrCreate(key);
        String[] base = LoopbackArgs.with(key);
        assertThatThrownBy(() -> start(concat(base, "-home", "foo"))).hasStackTraceContaining("derper.home");
        assertThatThrownBy(() -> start(concat(base, "-mesh-with", "other.example")))
                .hasStackTraceContaining("derper.mesh.with requires a mesh key");
        assertThatThrownBy(() -> start(concat(base, "-mesh-with", "a/b/c", "--derper.mesh.key=" + "ab".repeat(32))))
                .hasStackTraceContaining("more than one '/'");
        Files.writeString(dir.resolve("bad.key"), "not json");
        assertThatThrownBy(() -> start("-a", "127.0.0.1:0", "-stun-port", "0", "-c", dir.resolve("bad.key").toString(),
                "--management.server.port=0", "--management.server.address=127.0.0.1")).hasStackTraceContaining("derper.key-file");
        assertThatThrownBy(() -> start(concat(base, "--derper.relay.send-queue-depth=0")))
                .hasStackTraceContaining("derper.relay.send-queue-depth");
        assertThatThrownBy(() -> start(concat(base, "--derper.mesh.key=xyz")))
                .hasStackTraceContaining("derper.mesh.key");
    }

    @Test
    void gracefulShutdownSendsRestartingThenDrains(@TempDir Path dir) throws Exception {
        var ctx = start(LoopbackArgs.with(dir.resolve("k.json"), "--derper.relay.drain-period=1s",
                "--derper.relay.restart-reconnect-in=250ms", "--derper.relay.restart-try-for=7s"));
        URI url = URI.create("http://127.0.0.1:" + port(ctx) + "/derp");
        TestClient[] clients = new TestClient[4];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = TestClient.connect(url);
        }
        DerpMetrics metrics = ctx.getBean(DerpMetrics.class);
        long before = metrics.restartingFramesSent.sum();
        Thread closer = new Thread(ctx::close);
        closer.start();
        for (TestClient c : clients) {
            Frame.Restarting r = c.await(Frame.Restarting.class, x -> true, Duration.ofSeconds(5));
            assertThat(r.reconnectInMillis()).isEqualTo(250);
            assertThat(r.tryForMillis()).isEqualTo(7000);
        }
        for (TestClient c : clients) {
            assertThat(c.awaitClosed(Duration.ofSeconds(5))).isTrue();
        }
        closer.join(10_000);
        assertThat(metrics.restartingFramesSent.sum() - before).isEqualTo(4);
    }

    @Test
    void c84_relayDisabledKeepsTheOtherEndpoints(@TempDir Path dir) throws Exception {
        try (var ctx = start(LoopbackArgs.with(dir.resolve("k.json"), "-derp=false"))) {
            try (var raw = new io.jderper.testsupport.RawHttp(port(ctx))) {
                raw.write("GET /derp HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: DERP\r\n\r\n");
                assertThat(raw.readHead()).startsWith("HTTP/1.1 404");
                assertThat(new String(raw.readExactly(21), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("derp server disabled\n");
            }
            var http = java.net.http.HttpClient.newHttpClient();
            var home = http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(ctx) + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(home.body()).contains("Status:").contains("disabled");
            var probe = http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(ctx) + "/derp/probe")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(probe.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void c38_keepAlivesOnAFixedPerConnectionPeriod(@TempDir Path dir) throws Exception {
        // The original's 60 s + [0,5 s) cadence, scaled down through derper.relay.keep-alive(-jitter).
        try (var ctx = start(LoopbackArgs.with(dir.resolve("k.json"),
                "--derper.relay.keep-alive=400ms", "--derper.relay.keep-alive-jitter=100ms"));
             TestClient a = TestClient.connect(URI.create("http://127.0.0.1:" + port(ctx) + "/derp"))) {
            long[] at = new long[4];
            long start = System.nanoTime();
            for (int i = 0; i < at.length; i++) {
                a.await(Frame.KeepAlive.class, k -> true, Duration.ofSeconds(3));
                at[i] = System.nanoTime();
            }
            assertThat(Duration.ofNanos(at[0] - start)).isBetween(Duration.ofMillis(250), Duration.ofMillis(1500));
            for (int i = 1; i < at.length; i++) {
                assertThat(Duration.ofNanos(at[i] - at[i - 1])).isBetween(Duration.ofMillis(150), Duration.ofMillis(1500));
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

}
