package io.jderper.mesh;

import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A StatefulSet-like region found by DNS: the headless-service name answers with the pods' addresses (127.0.0.x, all
 * on one port), every node is in its own answer and recognises itself by its server key. Scaling changes only the
 * answer, never a node's configuration.
 */
class DnsDiscoveryClusterTest {
    static final String NAME = "jderper-headless.derp.svc.cluster.local";

    @Test
    void scaleUpJoinsTheNewNodeAndScaleDownRetiresIt() throws Exception {
        FakeSiblingResolver dns = new FakeSiblingResolver();
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2", "127.0.0.3");
        List<String> args = List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY,
                "--derper.mesh.discovery=dns",
                "--derper.mesh.dns-name=" + NAME,
                "--derper.mesh.dns-refresh=300ms",
                "--derper.mesh.dial-port=" + port);
        List<MeshNode> nodes = new ArrayList<>();
        try {
            dns.answer(NAME, "127.0.0.1", "127.0.0.2");
            MeshNode a = MeshNode.start("pod-0", "127.0.0.1", port, args, dns);
            nodes.add(a);
            MeshNode b = MeshNode.start("pod-1", "127.0.0.2", port, args, dns);
            nodes.add(b);
            for (MeshNode n : nodes) {
                await(Duration.ofSeconds(15), () -> n.mesh().linksUp() == 1, n + " linked to the other pod");
            }
            assertThat(a.mesh().linkStatus()).extracting(MeshLink.Status::name)
                    .containsExactlyInAnyOrder("127.0.0.1:" + port, "127.0.0.2:" + port);
            assertThat(a.mesh().link("127.0.0.1:" + port).orElseThrow().state()).isEqualTo(MeshLink.State.SELF);

            // Scale up: the third pod starts and the name lists it.
            MeshNode c = MeshNode.start("pod-2", "127.0.0.3", port, args, dns);
            nodes.add(c);
            dns.answer(NAME, "127.0.0.1", "127.0.0.2", "127.0.0.3");
            for (MeshNode n : nodes) {
                await(Duration.ofSeconds(15), () -> n.mesh().linksUp() == 2, n + " linked to both other pods");
            }
            try (TestClient x = TestClient.connect(a.derpUrl()); TestClient y = TestClient.connect(c.derpUrl())) {
                await(Duration.ofSeconds(5), () -> a.server().registry().isKnown(y.publicKey()), "A knows the client on C");
                x.client.send(y.publicKey(), new byte[]{1});
                assertThat(y.await(TestClient.Packet.class, p -> p.source().equals(x.publicKey()), Duration.ofSeconds(2)).data())
                        .containsExactly(1);
            }
            JsonNode health = new ObjectMapper().readTree(a.management("/actuator/health").body()).path("components").path("mesh");
            assertThat(health.path("status").asString()).isEqualTo("UP");
            assertThat(health.path("details").path("dns").path("addresses")).hasSize(3);

            // Scale down: the pod leaves the answer and goes away; the others retire its link instead of retrying.
            dns.answer(NAME, "127.0.0.1", "127.0.0.2");
            c.stop();
            for (MeshNode n : List.of(a, b)) {
                await(Duration.ofSeconds(5), () -> n.mesh().link("127.0.0.3:" + port).isEmpty(), n + " retired the link");
                await(Duration.ofSeconds(5), () -> n.mesh().linksUp() == 1 && n.mesh().linksDown() == 0, n + " is healthy again");
            }

            // A DNS failure keeps the links that work.
            dns.fail(NAME);
            Thread.sleep(1000);
            assertThat(a.mesh().linksUp()).isEqualTo(1);
            assertThat(a.mesh().linkStatus()).hasSize(2);
        } finally {
            nodes.forEach(MeshNode::stop);
        }
    }
}
