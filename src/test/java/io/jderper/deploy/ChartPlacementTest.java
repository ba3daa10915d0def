package io.jderper.deploy;

import io.jderper.deploy.HelmChart.Manifests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.maps;
import static org.assertj.core.api.Assertions.assertThat;

/** Where the pods run and who may reach which port: zone and host spread, and the NetworkPolicy. */
class ChartPlacementTest {

    @TempDir
    Path work;

    @Test
    void podsSpreadOverZonesAndOverNodes() {
        Manifests m = HelmChart.render(work, HelmChart.ciValues("meshed-values.yaml"));
        List<Map<String, Object>> spread = maps(m.podSpec().get("topologySpreadConstraints"));
        assertThat(spread).extracting(c -> c.get("topologyKey"))
                .containsExactly("topology.kubernetes.io/zone", "kubernetes.io/hostname");
        Map<String, Object> podLabels = mapAt(m.statefulSet(), "spec.template.metadata.labels");
        for (Map<String, Object> c : spread) {
            assertThat(c).containsEntry("maxSkew", 1).containsEntry("whenUnsatisfiable", "ScheduleAnyway");
            assertThat(podLabels).containsAllEntriesOf(mapAt(c, "labelSelector.matchLabels"));
        }
    }

    @Test
    void withHostNetworkTwoPodsNeverShareANode() {
        Manifests m = HelmChart.render(work, Map.of("hostNetwork", true, "expose", Map.of("mode", "none")));
        Map<String, Object> host = maps(m.podSpec().get("topologySpreadConstraints")).get(1);
        assertThat(host).containsEntry("topologyKey", "kubernetes.io/hostname").containsEntry("whenUnsatisfiable", "DoNotSchedule");
    }

    @Test
    void givenConstraintsReplaceTheChartsOwn() {
        Map<String, Object> mine = Map.of("maxSkew", 2, "topologyKey", "topology.kubernetes.io/region",
                "whenUnsatisfiable", "DoNotSchedule", "labelSelector", Map.of("matchLabels", Map.of("a", "b")));
        Manifests m = HelmChart.render(work, Map.of("topologySpreadConstraints", List.of(mine)));
        assertThat(maps(m.podSpec().get("topologySpreadConstraints"))).containsExactly(mine);
    }

    @Test
    void networkPolicyOpensThePublicPortsToAllAndManagementToMonitoringOnly() {
        Manifests m = HelmChart.render(work, HelmChart.ciValues("meshed-values.yaml"));
        Map<String, Object> policy = m.one("NetworkPolicy", FULLNAME);
        assertThat(mapAt(m.statefulSet(), "spec.template.metadata.labels"))
                .containsAllEntriesOf(mapAt(policy, "spec.podSelector.matchLabels"));
        assertThat(list(at(policy, "spec.policyTypes"))).containsExactly("Ingress");
        List<Map<String, Object>> rules = maps(at(policy, "spec.ingress"));
        assertThat(rules).hasSize(2);
        Map<String, Object> open = rules.get(0);
        assertThat(open).doesNotContainKey("from");
        assertThat(ports(open)).containsExactly("443/TCP", "80/TCP", "3478/UDP");
        Map<String, Object> management = rules.get(1);
        assertThat(ports(management)).containsExactly("8081/TCP");
        assertThat(maps(management.get("from"))).containsExactly(Map.of(
                "namespaceSelector", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", "monitoring")),
                "podSelector", Map.of("matchLabels", Map.of("app.kubernetes.io/name", "prometheus"))));
        // Every port the container serves is covered by exactly one rule.
        List<String> served = maps(m.container().get("ports")).stream()
                .map(p -> p.get("containerPort") + "/" + p.get("protocol")).toList();
        assertThat(rules.stream().flatMap(r -> ports(r).stream()).toList()).containsExactlyInAnyOrderElementsOf(served);
    }

    @Test
    void withoutMonitoringPeersTheManagementPortStaysClosed() {
        Manifests m = HelmChart.render(work, Map.of("networkPolicy", Map.of("enabled", true),
                "derper", Map.of("stun", Map.of("enabled", false))));
        List<Map<String, Object>> rules = maps(at(m.one("NetworkPolicy", FULLNAME), "spec.ingress"));
        assertThat(rules).hasSize(1);
        assertThat(ports(rules.get(0))).containsExactly("443/TCP", "80/TCP");
        assertThat(HelmChart.render(work, Map.of()).all("NetworkPolicy")).isEmpty();
    }

    @Test
    void aNamespaceAloneAdmitsEveryPodThere() {
        Manifests m = HelmChart.render(work, Map.of("networkPolicy", Map.of("enabled", true,
                "management", Map.of("namespaceSelector", Map.of("team", "observability")))));
        Map<String, Object> management = maps(at(m.one("NetworkPolicy", FULLNAME), "spec.ingress")).get(1);
        assertThat(maps(management.get("from"))).containsExactly(
                Map.of("namespaceSelector", Map.of("matchLabels", Map.of("team", "observability"))));
    }

    private static List<String> ports(Map<String, Object> rule) {
        return maps(rule.get("ports")).stream().map(p -> p.get("port") + "/" + p.get("protocol")).toList();
    }
}
