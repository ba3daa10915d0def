package io.jderper.server;

import io.jderper.JderperApplication;
import io.jderper.testsupport.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From the first moment the DERP port accepts a connection, an upgrade works: nothing answers — {@code /derp/probe}
 * least of all — while the relay would still refuse sessions with 503. The server starts with {@code -c} naming a
 * key file that does not exist yet, as a fresh node does.
 */
class StartupUpgradeTest {
    private static final String UPGRADE = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nConnection: Upgrade\r\nUpgrade: DERP\r\n\r\n";
    private static final String PROBE = "GET /derp/probe HTTP/1.1\r\nHost: derp.test\r\nConnection: close\r\n\r\n";

    @TempDir
    Path dir;

    @Test
    void theFirstAnswerOnTheDerpPortIsAWorkingUpgrade() throws Exception {
        Path keyFile = dir.resolve("derper.key");
        assertThat(keyFile).doesNotExist();
        int port = FreePorts.loopback();
        CompletableFuture<ConfigurableApplicationContext> started = CompletableFuture.supplyAsync(() -> JderperApplication.start(
                "-a", "127.0.0.1:" + port, "-http-port", "-1", "-stun-port", "0", "-c", keyFile.toString(),
                "--management.server.port=0", "--management.server.address=127.0.0.1"));
        List<String> answers = new ArrayList<>();
        try {
            InetSocketAddress derp = new InetSocketAddress("127.0.0.1", port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            // Alternate a probe and an upgrade, each on a fresh connection, until an upgrade has been switched.
            while (!answers.contains("upgrade 101")) {
                assertThat(System.nanoTime()).as("no upgrade within 120 s; answers: %s", answers).isLessThan(deadline);
                assertThat(started).as("startup failed").isNotCompletedExceptionally();
                String probe = status(derp, PROBE);
                String upgrade = status(derp, UPGRADE);
                if (probe != null) {
                    answers.add("probe " + probe);
                }
                if (upgrade != null) {
                    answers.add("upgrade " + upgrade);
                }
            }
            assertThat(answers).as("answers from the first one on").noneMatch(a -> a.endsWith(" 503"));
            // A probe that said 200 is never followed by an upgrade that did not switch.
            int firstProbeOk = answers.indexOf("probe 200");
            if (firstProbeOk >= 0) {
                assertThat(answers.subList(firstProbeOk, answers.size()))
                        .filteredOn(a -> a.startsWith("upgrade ")).allMatch(a -> a.equals("upgrade 101"));
            }
            assertThat(keyFile).exists();
        } finally {
            started.get(120, TimeUnit.SECONDS).close();
        }
    }

    /** The status code of the answer, or null when the port refused the connection or closed it without one. */
    private static String status(InetSocketAddress address, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return head.startsWith("HTTP/1.1 ") ? head.substring(9, 12) : null;
        } catch (SocketException e) {
            // Refused, or reset before any answer: nothing was said yet.
            return null;
        }
    }

}
