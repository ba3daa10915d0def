package io.jderper.server;

import io.jderper.JderperApplication;
import io.jderper.testsupport.DrainObserver;
import io.jderper.testsupport.LoopbackArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The graceful drain as an operator sees it, on a whole node closed the way SIGTERM closes it ({@code close()} on the
 * context {@link org.springframework.boot.SpringApplication} ran): many real clients each get Restarting, their
 * connections close spread over the drain period rather than at once, and the management port answers readiness
 * with 503 — not a refused connection — until the last of them has closed.
 */
class GracefulDrainTest {
    private static final Logger log = LoggerFactory.getLogger(GracefulDrainTest.class);
    private static final int CLIENTS = 30;
    private static final Duration DRAIN = Duration.ofSeconds(6);

    @TempDir
    Path dir;
    private int managementPort;

    private ConfigurableApplicationContext start(String... extra) {
        String[] base = LoopbackArgs.with(dir.resolve("k.json"),
                "--derper.relay.drain-period=" + DRAIN.toMillis() + "ms",
                // Far below grace + drain: the sequence's own phase must get the time it needs regardless.
                "--spring.lifecycle.timeout-per-shutdown-phase=2s");
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return JderperApplication.start(args);
    }

    private static int port(ConfigurableApplicationContext ctx, String property) {
        return Integer.parseInt(ctx.getEnvironment().getProperty(property));
    }

    @Test
    void closesAreSpreadOverTheDrainPeriodAndReadinessStays503UntilTheLast() throws Exception {
        ConfigurableApplicationContext ctx = start();
        try (DrainObserver drain = connect(ctx)) {
            long began = System.nanoTime();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(ctx::close);

            drain.awaitAllClosed(DRAIN.plusSeconds(30));
            closing.get(60, TimeUnit.SECONDS);
            log.info("drain without grace: {}", drain.describe(DRAIN));

            drain.assertSpread(DRAIN);
            drain.assertReadiness503UntilLastClose(began + TimeUnit.MILLISECONDS.toNanos(100));
            // The context close returned only after the drain, and the management port is gone afterwards.
            assertThat(DrainObserver.readinessStatus(new InetSocketAddress("127.0.0.1", managementPort)))
                    .isEqualTo(DrainObserver.REFUSED);
        } finally {
            ctx.close();
        }
    }

    @Test
    void withAReadinessGraceTheClosesBeginOnlyAfterIt() throws Exception {
        Duration grace = Duration.ofSeconds(3);
        ConfigurableApplicationContext ctx = start("--derper.relay.readiness-grace=" + grace.toMillis() + "ms");
        try (DrainObserver drain = connect(ctx)) {
            long began = System.nanoTime();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(ctx::close);

            drain.awaitAllClosed(grace.plus(DRAIN).plusSeconds(30));
            closing.get(60, TimeUnit.SECONDS);
            log.info("drain after a {} grace: {}", grace, drain.describe(DRAIN));

            assertThat(drain.firstRestarting() - began).as("Restarting only after the grace")
                    .isGreaterThanOrEqualTo(grace.toNanos());
            assertThat(drain.firstClose() - began).as("first close only after the grace")
                    .isGreaterThanOrEqualTo(grace.toNanos());
            drain.assertSpread(DRAIN);
            drain.assertReadiness503UntilLastClose(began + TimeUnit.MILLISECONDS.toNanos(100));
        } finally {
            ctx.close();
        }
    }

    private DrainObserver connect(ConfigurableApplicationContext ctx) throws Exception {
        managementPort = port(ctx, "local.management.port");
        DrainObserver drain = DrainObserver.connect(URI.create("http://127.0.0.1:" + port(ctx, "local.server.port") + "/derp"),
                CLIENTS, new InetSocketAddress("127.0.0.1", managementPort));
        ClientRegistry registry = ctx.getBean(DerpServer.class).registry();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (registry.connectionCount() < CLIENTS && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(registry.connectionCount()).isEqualTo(CLIENTS);
        assertThat(DrainObserver.readinessStatus(new InetSocketAddress("127.0.0.1", managementPort))).isEqualTo(200);
        drain.startPolling();
        return drain;
    }
}
