package io.jderper.admission;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.NodePrivateKey;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Per-client receive limits (B§9.1): throttling without loss, SIGHUP reload (file watching off here; it has its own
 * test), a broken reload keeping the limits, mesh peers exempt, and a bad file failing startup.
 */
@TestPropertySource(properties = {
        "derper.limits.rate-config-watch=false",
})
class RateLimitIntegrationTest extends GuardedServerBase {
    static final String SLOW = "{\"PerClientRateLimitBytesPerSec\":100000,\"PerClientRateBurstBytes\":0}";
    private static final Path dir;
    private static final Path rateFile;

    static {
        try {
            dir = Files.createTempDirectory("jderper-rate");
            rateFile = dir.resolve("rate.json");
            Files.writeString(rateFile, SLOW);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("derper.key-file", () -> dir.resolve("derper.key").toString());
        r.add("derper.limits.rate-config", rateFile::toString);
    }

    @Autowired
    AdmissionConfiguration.RateConfigReloaderHolder reloader;
    @Autowired
    AdmissionConfiguration.ReceiveRateLimitsHolder limits;

    private static byte[] numbered(int i, int size) {
        byte[] b = new byte[size];
        b[0] = (byte) (i >> 8);
        b[1] = (byte) i;
        return b;
    }

    @Test
    void throttlesWithoutLossAndExposesTheLimits_C64() throws Exception {
        Files.writeString(rateFile, SLOW);
        limits.limits().reload();
        assertThat(count("derp_rate_limit_per_client_bytes_per_second")).isEqualTo(100_000);
        assertThat(count("derp_rate_limit_per_client_burst_bytes")).isEqualTo(65_568);
        double waited0 = count("derp_rate_limit_per_client_waited");
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                a.client.send(b.publicKey(), Unpooled.wrappedBuffer(numbered(i, 10_000)), false);
            }
            a.client.flush();
            for (int i = 0; i < 50; i++) {
                TestClient.Packet p = b.nextPacket();
                assertThat(p.data()).hasSize(10_000);
                assertThat(((p.data()[0] & 0xff) << 8) | (p.data()[1] & 0xff)).isEqualTo(i);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // The 50th frame is relayed once the 49 before it are paid for: (490 000 - 65 568) / 100 000 = 4.2 s.
            assertThat(seconds).isGreaterThan(4.0);
            assertThat(a.client.isOpen()).isTrue();
            assertThat(count("derp_rate_limit_per_client_waited")).isGreaterThan(waited0);
        }
    }

    @Test
    void sighupAppliesNewLimitsToWaitingConnectionsAndABrokenFileKeepsThem_C65() throws Exception {
        assumeTrue(reloader.reloader().hangupSubscribed(), "SIGHUP cannot be handled in this JVM");
        Files.writeString(rateFile, "{\"PerClientRateLimitBytesPerSec\":2000,\"PerClientRateBurstBytes\":0}");
        limits.limits().reload();
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            for (int i = 0; i < 20; i++) {
                a.client.send(b.publicKey(), Unpooled.wrappedBuffer(numbered(i, 10_000)), false);
            }
            a.client.flush();
            // 65 568 bytes of burst let about seven through; at 2 000 B/s the rest would take over a minute.
            Thread.sleep(1000);
            int early = 0;
            while (b.next(Duration.ofMillis(200)) != null) {
                early++;
            }
            assertThat(early).isLessThan(20);

            Files.writeString(rateFile, "{\"PerClientRateLimitBytesPerSec\":10000000}");
            hangup();
            long t0 = System.nanoTime();
            for (int i = early; i < 20; i++) {
                assertThat(b.nextPacket().data()).hasSize(10_000);
            }
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(3.0);
            awaitGauge(10_000_000);

            Files.writeString(rateFile, "{\"PerClientRateLimitBytesPerSec\":");
            hangup();
            Thread.sleep(500);
            assertThat(count("derp_rate_limit_per_client_bytes_per_second")).isEqualTo(10_000_000);
            a.client.send(b.publicKey(), new byte[] {7});
            assertThat(b.nextPacket().data()).containsExactly(7);
        } finally {
            Files.writeString(rateFile, SLOW);
            limits.limits().reload();
        }
    }

    private void awaitGauge(double value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (count("derp_rate_limit_per_client_bytes_per_second") != value && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(count("derp_rate_limit_per_client_bytes_per_second")).isEqualTo(value);
    }

    private static void hangup() throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
        assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void meshPeersAreExempt_C51() throws Exception {
        Files.writeString(rateFile, "{\"PerClientRateLimitBytesPerSec\":1000}");
        limits.limits().reload();
        try (TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(DerpServerTestBase.MESH_KEY));
             TestClient b = TestClient.connect(derpUrl())) {
            NodePrivateKey src = NodePrivateKey.generate();
            long t0 = System.nanoTime();
            for (int i = 0; i < 16; i++) {
                m.client.forward(src.publicKey(), b.publicKey(), Unpooled.wrappedBuffer(numbered(i, 65_000)));
            }
            for (int i = 0; i < 16; i++) {
                assertThat(b.nextPacket().data()).hasSize(65_000);
            }
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(2.0);
        } finally {
            Files.writeString(rateFile, SLOW);
            limits.limits().reload();
        }
    }

    @Test
    void badFileFailsStartupNamingTheProperty_C66() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"PerClientRateLimitBytesPerSec\":-1}");
        assertThatThrownBy(() -> new SpringApplicationBuilder(io.jderper.JderperApplication.class)
                .properties("derper.listen=127.0.0.1:0", "derper.http.port=-1", "derper.stun.enabled=false",
                        "management.server.port=0", "management.server.address=127.0.0.1",
                        "derper.key-file=" + dir.resolve("other.key"), "derper.limits.rate-config=" + bad)
                .run().close())
                .hasStackTraceContaining("derper.limits.rate-config");
    }
}
