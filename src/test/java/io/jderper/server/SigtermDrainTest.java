package io.jderper.server;

import io.jderper.testsupport.DrainObserver;
import io.jderper.testsupport.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drain as production triggers it: a node in its own JVM gets SIGTERM. The closes are spread over the drain
 * period, readiness answers 503 until the last one, and the process exits only after it, well within the budget an
 * orchestrator must allow (readiness grace + drain period + 10 s).
 */
class SigtermDrainTest {
    private static final Logger log = LoggerFactory.getLogger(SigtermDrainTest.class);
    private static final int CLIENTS = 30;
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final Duration GRACE = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    @Test
    void sigtermDrainsBeforeTheProcessExits() throws Exception {
        int derpPort = FreePorts.loopback();
        int managementPort = FreePorts.loopback();
        Path logFile = dir.resolve("node.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "io.jderper.JderperApplication", "-a", "127.0.0.1:" + derpPort, "-http-port", "-1", "-stun-port", "0",
                "-c", dir.resolve("derper.key").toString(),
                "--management.server.port=" + managementPort, "--management.server.address=127.0.0.1",
                "--derper.relay.drain-period=" + DRAIN.toMillis() + "ms",
                "--derper.relay.readiness-grace=" + GRACE.toMillis() + "ms");
        Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        InetSocketAddress management = new InetSocketAddress("127.0.0.1", managementPort);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (DrainObserver.readinessStatus(management) != 200) {
                assertThat(node.isAlive()).as("node running; log:\n%s", tail(logFile)).isTrue();
                assertThat(System.nanoTime()).as("node ready within 120 s; log:\n%s", tail(logFile)).isLessThan(deadline);
                Thread.sleep(200);
            }
            try (DrainObserver drain = DrainObserver.connect(URI.create("http://127.0.0.1:" + derpPort + "/derp"),
                    CLIENTS, management)) {
                drain.startPolling();
                Thread.sleep(200);
                long began = System.nanoTime();
                node.destroy();

                drain.awaitAllClosed(GRACE.plus(DRAIN).plusSeconds(30));
                assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("node exited").isTrue();
                long exited = System.nanoTime();
                log.info("drain after SIGTERM: {}; process gone {} ms after the signal", drain.describe(DRAIN),
                        TimeUnit.NANOSECONDS.toMillis(exited - began));

                assertThat(drain.firstRestarting() - began).as("Restarting only after the grace")
                        .isGreaterThanOrEqualTo(GRACE.toNanos());
                drain.assertSpread(DRAIN);
                drain.assertReadiness503UntilLastClose(began + TimeUnit.MILLISECONDS.toNanos(300));
                assertThat(exited).as("the process outlived its last connection").isGreaterThan(drain.lastClose());
                assertThat(exited - began).as("exit within readiness grace + drain period + 10 s")
                        .isLessThan(GRACE.plus(DRAIN).plus(ShutdownSequence.MARGIN).toNanos());
                assertThat(Files.readString(logFile)).contains("relay drained in");
            }
        } finally {
            if (node.isAlive()) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static String tail(Path logFile) {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
