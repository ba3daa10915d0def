package io.jderper.probe;

import io.jderper.config.DerperProperties;
import io.jderper.config.StunProperties;
import io.jderper.stun.StunServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code jderper stunc} (cmd/stunc) against jderper's own STUN server on loopback, and against silence. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StuncCommandTest {
    StunServer server;
    int port;

    @BeforeAll
    void start() {
        server = new StunServer(new StunProperties(true, 0, false),
                new DerperProperties(false, "127.0.0.1:0", "derp.test", null, ""), new SimpleMeterRegistry());
        server.start();
        port = server.localAddress().getPort();
    }

    @AfterAll
    void stop() {
        server.stop();
    }

    record Run(int code, String out, String err) {
    }

    static Run stunc(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = StuncCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsTheMappedAddressAndRoundTrip() {
        for (Run r : List.of(stunc("127.0.0.1:" + port), stunc("127.0.0.1", String.valueOf(port)), stunc("-timeout", "2s", "127.0.0.1:" + port))) {
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("sent addr: 127.0.0.1:" + port + "\n", "from addr: 127.0.0.1:" + port + "\n")
                    .containsPattern("stun addr: 127\\.0\\.0\\.1:\\d+\n")
                    .containsPattern("rtt: [0-9.]+ ms\n");
        }
    }

    @Test
    void silenceIsATimeoutAndExitStatusOne() {
        int silent = NodeProcess.freeUdpPort("127.0.0.1");
        long start = System.nanoTime();
        Run r = stunc("-timeout=300ms", "127.0.0.1:" + silent);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("timeout reading from 127.0.0.1");
        assertThat(r.out()).isEmpty();
        assertThat(System.nanoTime() - start).as("gives up after its timeout").isLessThan(TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    void badUsage() {
        assertThat(stunc().code()).isEqualTo(1);
        assertThat(stunc().err()).contains("usage: jderper stunc");
        assertThat(stunc("a", "b", "c").code()).isEqualTo(1);
        assertThat(stunc("127.0.0.1", "99999").err()).contains("invalid port");
        assertThat(stunc("-timeout", "soon", "127.0.0.1").code()).isEqualTo(2);
        assertThat(stunc("no-such-host.invalid").err()).contains("no such host");
    }

    /** The real entry point: {@code java ... JderperApplication stunc host:port} dispatches before the server would start. */
    @Test
    void theApplicationsMainDispatchesToStunc() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.jderper.JderperApplication",
                "stunc", "127.0.0.1:" + port));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("stun addr: 127.0.0.1:").doesNotContain("Started JderperApplication");
    }
}
