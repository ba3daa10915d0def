package io.jderper.admission;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.NodePrivateKey;
import io.jderper.server.DerpMetrics;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * End to end through a running server: both checks on, tailscaled first (B§11), denials close the connection
 * without ServerInfo and are counted by reason, mesh peers bypass, and a reconnect storm of one key reaches the
 * controller only once.
 */
@TestPropertySource(properties = {
        "derper.verify.tailscaled=true",
        "derper.verify.cache-ttl=3s",
})
class VerificationIntegrationTest extends GuardedServerBase {
    private static final FakeAdmissionController controller = new FakeAdmissionController();
    private static final Path dir;
    private static final FakeLocalApi localApi;

    static {
        try {
            dir = Files.createTempDirectory("jderper-verify");
            localApi = Epoll.isAvailable() ? new FakeLocalApi(dir) : null;
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("derper.key-file", () -> dir.resolve("derper.key").toString());
        r.add("derper.verify.socket", () -> dir.resolve("tailscaled.sock").toString());
        r.add("derper.verify.client-url", () -> controller.url("/admit").toString());
    }

    @AfterAll
    static void stop() throws Exception {
        controller.close();
        if (localApi != null) {
            localApi.close();
        }
    }

    @Autowired
    DerpMetrics metrics;

    @BeforeEach
    void reset() {
        org.junit.jupiter.api.Assumptions.assumeTrue(localApi != null, "unix sockets need native epoll");
        controller.requests.clear();
        localApi.requests.clear();
        controller.answer.set(FakeAdmissionController.Answer.allow(true));
    }

    private double denied(String reason) {
        Counter c = registry.find("derp_admission_denied").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void memberAllowedByBothIsAdmitted_tailscaledAskedFirst() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        localApi.tailnet.add(key.publicKey());
        try (TestClient c = TestClient.connect(derpUrl(), key, DerpClientOptions.defaults())) {
            assertThat(c.client.isOpen()).isTrue();
        }
        assertThat(localApi.requests.poll(1, TimeUnit.SECONDS).uri()).contains(key.publicKey().toHex());
        assertThat(controller.requests.poll(1, TimeUnit.SECONDS).body()).contains(key.publicKey().toHex());
    }

    @Test
    void strangerIsClosedWithoutServerInfoAndControllerIsNotAsked() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        long connections = metrics.currentConnections.get();
        double before = denied(DenyReason.TAILSCALED_UNKNOWN);
        assertThatThrownBy(() -> TestClient.connect(derpUrl(), key, DerpClientOptions.defaults()))
                .hasRootCauseInstanceOf(java.io.IOException.class);
        assertThat(denied(DenyReason.TAILSCALED_UNKNOWN)).isEqualTo(before + 1);
        assertThat(metrics.currentConnections.get()).isEqualTo(connections);
        assertThat(controller.requests.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void controllerDenialClosesTheMember_C69() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        localApi.tailnet.add(key.publicKey());
        controller.answer.set(FakeAdmissionController.Answer.allow(false));
        double before = denied(DenyReason.CONTROLLER_DENIED);
        assertThatThrownBy(() -> TestClient.connect(derpUrl(), key, DerpClientOptions.defaults()))
                .isInstanceOf(ExecutionException.class);
        assertThat(denied(DenyReason.CONTROLLER_DENIED)).isEqualTo(before + 1);
    }

    @Test
    void meshPeersBypassVerification_C51() throws Exception {
        controller.answer.set(FakeAdmissionController.Answer.allow(false));
        try (TestClient m = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withMeshKey(DerpServerTestBase.MESH_KEY))) {
            assertThat(m.client.isOpen()).isTrue();
        }
        assertThat(localApi.requests.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(controller.requests.poll(10, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void reconnectStormOfOneKeyAsksOnce() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        localApi.tailnet.add(key.publicKey());
        controller.answer.set(new FakeAdmissionController.Answer(200, "{\"Allow\":false}", Duration.ofMillis(300)));
        double hits = registry.find("derp_admission_cache_hits").counter().count();
        List<CompletableFuture<?>> attempts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            attempts.add(io.jderper.client.DerpClient.connect(derpUrl(), key, DerpClientOptions.defaults(), (c, f) -> {
                if (f instanceof io.jderper.protocol.Frame.PacketFrame p) {
                    p.release();
                }
            }));
        }
        for (CompletableFuture<?> a : attempts) {
            assertThatThrownBy(() -> a.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        }
        assertThat(controller.requests.size()).as("controller requests for 40 attempts within the cache TTL").isEqualTo(1);
        assertThat(localApi.requests.size()).isEqualTo(1);
        assertThat(registry.find("derp_admission_cache_hits").counter().count()).isEqualTo(hits + 39);
    }
}
