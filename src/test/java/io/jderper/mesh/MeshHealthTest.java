package io.jderper.mesh;

import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/** A node none of whose siblings is reachable: it relays for its own clients and says so in health and metrics. */
class MeshHealthTest {
    static MeshNode node;
    static int siblingPort;

    @BeforeAll
    static void start() {
        siblingPort = MeshNode.freePortOnAll("127.0.0.6", "127.0.0.7");
        node = MeshNode.start("lonely", "127.0.0.5", MeshNode.freePortOnAll("127.0.0.5"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY,
                "--derper.mesh.with=127.0.0.6:" + siblingPort + ",127.0.0.7:" + siblingPort));
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    void noSiblingUpDegradesTheMeshComponentButNotLivenessOrReadiness() throws Exception {
        await(Duration.ofSeconds(5), () -> node.mesh().linkStatus().stream()
                .allMatch(s -> s.state() == MeshLink.State.RETRY_WAIT), "both attempts failed");

        HttpResponse<String> health = node.management("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode root = new ObjectMapper().readTree(health.body());
        assertThat(root.path("status").asString()).isEqualTo("UP");
        JsonNode mesh = root.path("components").path("mesh");
        assertThat(mesh.path("status").asString()).isEqualTo("DEGRADED");
        assertThat(mesh.path("details").path("linksUp").asInt()).isZero();
        assertThat(mesh.path("details").path("linksDown").asInt()).isEqualTo(2);
        assertThat(mesh.path("details").path("siblings").path("127.0.0.6:" + siblingPort).path("state").asString())
                .isEqualTo("RETRY_WAIT");
        JsonNode sibling = mesh.path("details").path("siblings").path("127.0.0.6:" + siblingPort);
        assertThat(sibling.path("lastError").asString()).contains("connection refused");
        assertThat(sibling.path("lastErrorReason").asString()).isEqualTo("refused");
        assertThat(sibling.path("lastErrorAt").asString()).isNotEmpty();
        assertThat(sibling.path("since").asString()).isNotEmpty();

        for (String probe : List.of("/actuator/health/liveness", "/actuator/health/readiness")) {
            HttpResponse<String> r = node.management(probe);
            assertThat(r.statusCode()).as(probe).isEqualTo(200);
            JsonNode p = new ObjectMapper().readTree(r.body());
            assertThat(p.path("status").asString()).as(probe).isEqualTo("UP");
            assertThat(p.path("components").has("mesh")).as(probe).isFalse();
            if (probe.endsWith("readiness")) {
                // derper.mesh.readiness-requires-links is off by default: the readiness component stays UP.
                assertThat(p.path("components").path("meshReadiness").path("status").asString()).isEqualTo("UP");
            }
        }

        String prometheus = node.management("/actuator/prometheus").body();
        assertThat(prometheus).contains("derp_mesh_links{state=\"retry_wait\"} 2.0", "derp_mesh_links{state=\"up\"} 0.0",
                "derp_mesh_link_connect_failures_total", "derp_mesh_link_failures_total{reason=\"refused\"}",
                "derp_mesh_link_down_seconds", "derp_mesh_forward_dropped_total{reason=\"backpressure\"} 0.0");
    }

    @Test
    void localClientsAreStillServed() throws Exception {
        try (TestClient x = TestClient.connect(node.derpUrl()); TestClient y = TestClient.connect(node.derpUrl())) {
            x.client.send(y.publicKey(), new byte[]{5});
            assertThat(y.await(TestClient.Packet.class, p -> p.source().equals(x.publicKey()), Duration.ofSeconds(2)).data())
                    .containsExactly(5);
        }
    }
}
