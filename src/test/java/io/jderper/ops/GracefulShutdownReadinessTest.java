package io.jderper.ops;

import io.jderper.JderperApplication;
import io.jderper.protocol.Frame;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Readiness over a node's whole life, on a node started and closed here: 503 until the application is ready (while
 * liveness is already 200), 200 while serving, and on shutdown 503 first — while the relay still serves — and only
 * after derper.relay.readiness-grace the Restarting frames.
 */
class GracefulShutdownReadinessTest {
    private static final Duration GRACE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void readinessIsDownUntilReadyAndGoesDownFirstOnShutdown() throws Exception {
        CountDownLatch runnerEntered = new CountDownLatch(1);
        CountDownLatch releaseRunner = new CountDownLatch(1);
        AtomicReference<ConfigurableApplicationContext> context = new AtomicReference<>();
        AtomicLong refusedAt = new AtomicLong();

        // Command-line arguments, so they win over application.yml as the test base's properties do.
        String[] args = {"--derper.listen=127.0.0.1:0", "--derper.http.port=-1", "--derper.stun.port=0",
                "--derper.hostname=derp.test", "--derper.relay.drain-period=0s",
                "--derper.relay.restart-reconnect-in=0s", "--derper.relay.readiness-grace=" + GRACE.toMillis() + "ms",
                "--management.server.port=0", "--management.server.address=127.0.0.1",
                "--derper.mesh.key=" + DerpServerTestBase.MESH_KEY_HEX, "--derper.key-file=" + dir.resolve("derper.key")};
        SpringApplicationBuilder builder = new SpringApplicationBuilder(JderperApplication.class)
                .initializers(ctx -> {
                    context.set(ctx);
                    // Runners run after the servers started and before Boot declares the application ready.
                    ctx.getBeanFactory().registerSingleton("holdBeforeReady", (ApplicationRunner) arguments -> {
                        runnerEntered.countDown();
                        releaseRunner.await(60, TimeUnit.SECONDS);
                    });
                    ctx.addApplicationListener((ApplicationListener<AvailabilityChangeEvent<?>>) e -> {
                        if (e.getState() == ReadinessState.REFUSING_TRAFFIC) {
                            refusedAt.compareAndSet(0, System.nanoTime());
                        }
                    });
                });
        CompletableFuture<ConfigurableApplicationContext> started = CompletableFuture.supplyAsync(() -> builder.run(args));
        try {
            assertThat(runnerEntered.await(120, TimeUnit.SECONDS)).isTrue();
            int management = Integer.parseInt(context.get().getEnvironment().getProperty("local.management.port"));
            int derpPort = Integer.parseInt(context.get().getEnvironment().getProperty("local.server.port"));

            // Starting: the servers are up but the application is not ready yet.
            var starting = Http.get(management, "/actuator/health/readiness");
            assertThat(starting.statusCode()).isEqualTo(503);
            assertThat(Http.json(starting.body()).get("components").get("readinessState").get("status").asString())
                    .isEqualTo("OUT_OF_SERVICE");
            assertThat(Http.get(management, "/actuator/health/liveness").statusCode()).isEqualTo(200);

            releaseRunner.countDown();
            started.get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Http.get(management, "/actuator/health/readiness").statusCode()).isEqualTo(200));

            try (TestClient client = TestClient.connect(URI.create("http://127.0.0.1:" + derpPort + "/derp"))) {
                CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> context.get().close());

                // Readiness drops while the relay still serves and before any client is told to leave.
                JsonNode refusing = await().atMost(GRACE).pollInterval(Duration.ofMillis(20)).until(() -> {
                    var r = Http.get(management, "/actuator/health/readiness");
                    return r.statusCode() == 503 ? Http.json(r.body()) : null;
                }, java.util.Objects::nonNull);
                assertThat(refusing.get("components").get("derp").get("status").asString()).isEqualTo("OUT_OF_SERVICE");
                assertThat(refusing.get("components").get("readinessState").get("status").asString())
                        .isEqualTo("OUT_OF_SERVICE");
                assertThat(Http.get(derpPort, "/derp/probe").statusCode()).isEqualTo(200);
                assertThat(Http.get(management, "/actuator/health/liveness").statusCode()).isEqualTo(200);

                Frame.Restarting restarting = client.await(Frame.Restarting.class, f -> true, GRACE.plusSeconds(30));
                long restartingSeenAt = System.nanoTime();
                assertThat(restarting.reconnectInMillis()).isZero();
                assertThat(refusedAt.get()).isNotZero();
                assertThat(Duration.ofNanos(restartingSeenAt - refusedAt.get())).isGreaterThanOrEqualTo(GRACE);

                closing.get(60, TimeUnit.SECONDS);
                assertThat(client.awaitClosed(Duration.ofSeconds(10))).isTrue();
            }
        } finally {
            releaseRunner.countDown();
            if (context.get() != null) {
                context.get().close();
            }
        }
    }
}
