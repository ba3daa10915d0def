package io.jderper.deploy;

import com.marcnuri.helm.LintResult;
import io.jderper.deploy.HelmChart.Manifests;
import io.jderper.probe.DerpMap;
import io.jderper.probe.ProbeCommand;
import io.jderper.probe.ProbeSettings;
import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.HelmChart.NAMESPACE;
import static io.jderper.deploy.HelmChartTest.mounts;
import static io.jderper.deploy.HelmChartTest.volume;
import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.maps;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The chart's prober Deployment (with its rendered DERP map), the in-node prober port and the Grafana dashboard ConfigMap. */
class ProberChartTest {
    static final String PROBER = FULLNAME + "-prober";

    @TempDir
    Path work;

    static Map<String, Object> proberOn(Map<String, Object> more) {
        Map<String, Object> prober = new java.util.LinkedHashMap<>(Map.of("enabled", true));
        prober.putAll(more);
        return Map.of("prober", prober);
    }

    static Map<String, Object> container(Manifests m) {
        return maps(at(m.one("Deployment", PROBER), "spec.template.spec.containers")).get(0);
    }

    static List<String> args(Manifests m) {
        return list(container(m).get("args")).stream().map(String::valueOf).toList();
    }

    @Test
    void offByDefault() {
        Manifests m = HelmChart.render(work, HelmChart.ciValues("default-values.yaml"));
        assertThat(m.all("Deployment")).isEmpty();
        assertThat(m.has("Service", PROBER)).isFalse();
        assertThat(m.has("ConfigMap", PROBER + "-derpmap")).isFalse();
        assertThat(m.has("ConfigMap", FULLNAME + "-dashboard")).isFalse();
    }

    @Test
    void lintPassesStrictWithEverythingOn() throws Exception {
        Path values = Files.writeString(work.resolve("all-on.yaml"), YamlTrees.dump(Map.of(
                "prober", Map.of("enabled", true, "serviceMonitor", Map.of("enabled", true), "bwInterval", "1m",
                        "qdPacketsPerSecond", 5),
                "grafanaDashboard", Map.of("enabled", true),
                "derper", Map.of("probe", Map.of("enabled", true)))));
        LintResult result = HelmChart.lint(work, HelmChart.ciValues("meshed-values.yaml"), values);
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(msg -> msg.contains("[ERROR]") || msg.contains("[WARNING]"));
    }

    @Test
    void probesTheReleasesOwnNodesThroughARenderedDerpMap() {
        Manifests m = HelmChart.render(work, proberOn(Map.of("regionCode", "jderper", "bwInterval", "5m",
                "bwProbeSizeBytes", 250000, "qdPacketsPerSecond", 4)), HelmChart.ciValues("meshed-values.yaml"));
        List<String> args = args(m);
        assertThat(args.get(0)).isEqualTo("probe");
        assertThat(args).containsSequence("-derp-map", "file:///etc/jderper-prober/derpmap/derpmap.json")
                .containsSequence("-listen", ":8030").containsSequence("-region-code", "jderper")
                .containsSequence("-bw-interval", "5m").containsSequence("-bw-probe-size-bytes", "250000")
                .containsSequence("-qd-packets-per-second", "4")
                .containsSequence("-mesh-psk-file", "/etc/jderper-prober/mesh/mesh.key")
                .doesNotContain("-derp-http", "-tls-ca-file");

        String json = (String) mapAt(m.one("ConfigMap", PROBER + "-derpmap"), "data").get("derpmap.json");
        DerpMap map = DerpMap.parse(json.getBytes(StandardCharsets.UTF_8));
        DerpMap.Region region = map.regions().get(900);
        assertThat(region.regionCode()).isEqualTo("jderper");
        assertThat(region.nodes()).extracting(DerpMap.Node::name)
                .containsExactly(FULLNAME + "-0", FULLNAME + "-1", FULLNAME + "-2");
        assertThat(region.nodes()).extracting(DerpMap.Node::hostName)
                .containsExactly(FULLNAME + "-0.derp.ci.example.com", FULLNAME + "-1.derp.ci.example.com",
                        FULLNAME + "-2.derp.ci.example.com");
        assertThat(region.nodes()).extracting(DerpMap.Node::ipv4).containsExactly("192.0.2.10", "192.0.2.11", "192.0.2.12");
        assertThat(region.nodes()).extracting(DerpMap.Node::ipv6).containsExactly("2001:db8::10", "2001:db8::11", "2001:db8::12");
        assertThat(region.nodes()).allMatch(n -> n.effectiveDerpPort() == 443 && n.effectiveStunPort() == 3478);

        Map<String, Object> pod = mapAt(m.one("Deployment", PROBER), "spec.template.spec");
        assertThat(mounts(container(m))).containsEntry("derpmap", "/etc/jderper-prober/derpmap")
                .containsEntry("mesh-key", "/etc/jderper-prober/mesh").containsEntry("tmp", "/tmp");
        assertThat(stringAt(volume(pod, "derpmap"), "configMap.name")).isEqualTo(PROBER + "-derpmap");
        assertThat(stringAt(volume(pod, "mesh-key"), "secret.secretName")).isEqualTo(FULLNAME + "-mesh");
        assertThat(stringAt(mapAt(m.one("Deployment", PROBER), "spec.template.metadata"), "annotations.checksum/derpmap")).isNotBlank();
        assertThat(stringAt(container(m), "livenessProbe.httpGet.path")).isEqualTo("/healthz");
        assertThat(at(container(m), "securityContext.readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(mapAt(pod, "securityContext")).doesNotContainKey("sysctls").containsEntry("runAsNonRoot", true);
    }

    @Test
    void proberPodsAreNotNodesAndItsServiceFindsThem() {
        Manifests m = HelmChart.render(work, proberOn(Map.of()), HelmChart.ciValues("meshed-values.yaml"));
        Map<String, Object> podLabels = mapAt(m.one("Deployment", PROBER), "spec.template.metadata.labels");
        Map<String, Object> nodeSelector = mapAt(m.statefulSet(), "spec.selector.matchLabels");
        Map<String, Object> headlessSelector = mapAt(m.one("Service", FULLNAME + "-headless"), "spec.selector");
        assertThat(selects(nodeSelector, podLabels)).as("the StatefulSet must not adopt prober pods").isFalse();
        assertThat(selects(headlessSelector, podLabels)).as("mesh discovery must not find the prober").isFalse();
        assertThat(m.all("PodDisruptionBudget")).allSatisfy(pdb ->
                assertThat(selects(mapAt(pdb, "spec.selector.matchLabels"), podLabels)).isFalse());
        Map<String, Object> service = m.one("Service", PROBER);
        assertThat(selects(mapAt(service, "spec.selector"), podLabels)).isTrue();
        assertThat(maps(at(service, "spec.ports")).get(0)).containsEntry("port", 8030).containsEntry("targetPort", "http");
        assertThat(selects(mapAt(m.one("Deployment", PROBER), "spec.selector.matchLabels"), podLabels)).isTrue();
    }

    static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    @Test
    void theChartsArgumentsAreACommandLineTheProberAccepts() throws Exception {
        Manifests m = HelmChart.render(work, proberOn(Map.of("qdPacketsPerSecond", 2, "bwInterval", "30s",
                "tlsCa", Map.of("configMap", "private-ca"))), HelmChart.ciValues("meshed-values.yaml"));
        List<String> args = new ArrayList<>(args(m).subList(1, args(m).size()));
        // The mounted files do not exist here: point them at local stand-ins.
        Path key = Files.writeString(work.resolve("mesh.key"), DerpServerTestBase.MESH_KEY_HEX);
        Path ca = Files.writeString(work.resolve("ca.crt"), "");
        args.replaceAll(a -> a.equals("/etc/jderper-prober/mesh/mesh.key") ? key.toString()
                : a.equals("/etc/jderper-prober/ca/ca.crt") ? ca.toString() : a);
        ProbeSettings s = ProbeCommand.parseSettings(args.toArray(String[]::new), k -> null);
        assertThat(s.derpMap()).isEqualTo("file:///etc/jderper-prober/derpmap/derpmap.json");
        assertThat(s.listen()).isEqualTo(":8030");
        assertThat(s.interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.bwInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.qdPacketsPerSecond()).isEqualTo(2);
        assertThat(s.meshKey()).isPresent();
        assertThat(s.tlsCaFile()).isEqualTo(ca);
        assertThat(s.once()).isFalse();
        Map<String, Object> pod = mapAt(m.one("Deployment", PROBER), "spec.template.spec");
        assertThat(stringAt(volume(pod, "ca"), "configMap.name")).isEqualTo("private-ca");
    }

    @Test
    void aGivenMapUrlReplacesTheRenderedOneAndPlainHttpNodesAreProbedOverHttp() {
        Manifests given = HelmChart.render(work, proberOn(Map.of("derpMapUrl", "https://control.example.com/derpmap")),
                HelmChart.ciValues("default-values.yaml"));
        assertThat(args(given)).containsSequence("-derp-map", "https://control.example.com/derpmap")
                .doesNotContain("-mesh-psk-file");
        assertThat(given.has("ConfigMap", PROBER + "-derpmap")).isFalse();
        Manifests plain = HelmChart.render(work, Map.of("prober", Map.of("enabled", true), "ports", Map.of("https", 8443)),
                HelmChart.ciValues("default-values.yaml"));
        assertThat(args(plain)).contains("-derp-http");
        String json = (String) mapAt(plain.one("ConfigMap", PROBER + "-derpmap"), "data").get("derpmap.json");
        assertThat(DerpMap.parse(json.getBytes(StandardCharsets.UTF_8)).regions().get(900).nodes().get(0).derpPort()).isEqualTo(8443);
        Manifests manual = HelmChart.render(work, Map.of("prober", Map.of("enabled", true), "ports", Map.of("https", 8443),
                "derper", Map.of("tls", Map.of("mode", "manual"))), HelmChart.ciValues("default-values.yaml"));
        assertThat(args(manual)).doesNotContain("-derp-http");
    }

    @Test
    void meshKeyOnRequestNeedsASecret() {
        assertThatThrownBy(() -> HelmChart.render(work, proberOn(Map.of("meshKey", Map.of("enabled", true))),
                HelmChart.ciValues("default-values.yaml"))).hasMessageContaining("prober.meshKey.enabled=true");
        Manifests m = HelmChart.render(work, proberOn(Map.of("meshKey", Map.of("enabled", true, "existingSecret", "derp-psk",
                "existingSecretKey", "psk"))), HelmChart.ciValues("default-values.yaml"));
        Map<String, Object> v = volume(mapAt(m.one("Deployment", PROBER), "spec.template.spec"), "mesh-key");
        assertThat(stringAt(v, "secret.secretName")).isEqualTo("derp-psk");
        assertThat(maps(at(v, "secret.items")).get(0)).containsEntry("key", "psk").containsEntry("path", "mesh.key");
        Manifests off = HelmChart.render(work, proberOn(Map.of("meshKey", Map.of("enabled", false))),
                HelmChart.ciValues("meshed-values.yaml"));
        assertThat(args(off)).doesNotContain("-mesh-psk-file");
    }

    @Test
    void serviceMonitorScrapesTheProbersMetrics() {
        Manifests m = HelmChart.render(work, Map.of("prober", Map.of("enabled", true, "serviceMonitor", Map.of("enabled", true))),
                HelmChart.ciValues("meshed-values.yaml"));
        Map<String, Object> sm = m.one("ServiceMonitor", PROBER);
        Map<String, Object> endpoint = maps(at(sm, "spec.endpoints")).get(0);
        assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/metrics");
        assertThat(mapAt(sm, "metadata.labels")).containsEntry("release", "prometheus");
        assertThat(selects(mapAt(sm, "spec.selector.matchLabels"), mapAt(m.one("Service", PROBER), "metadata.labels"))).isTrue();
    }

    @Test
    void grafanaDashboardConfigMapCarriesTheDocsDashboard() throws Exception {
        Manifests m = HelmChart.render(work, Map.of("grafanaDashboard", Map.of("enabled", true,
                "annotations", Map.of("grafana_folder", "DERP"), "namespace", "monitoring")), HelmChart.ciValues("default-values.yaml"));
        Map<String, Object> cm = m.one("ConfigMap", FULLNAME + "-dashboard");
        assertThat(mapAt(cm, "metadata.labels")).containsEntry("grafana_dashboard", "1");
        assertThat(mapAt(cm, "metadata.annotations")).containsEntry("grafana_folder", "DERP");
        assertThat(stringAt(cm, "metadata.namespace")).isEqualTo("monitoring");
        assertThat((String) mapAt(cm, "data").get("jderper.json")).isEqualTo(Files.readString(Path.of("docs", "grafana-dashboard.json")).strip());
        Manifests here = HelmChart.render(work, Map.of("grafanaDashboard", Map.of("enabled", true)), HelmChart.ciValues("default-values.yaml"));
        assertThat(stringAt(here.one("ConfigMap", FULLNAME + "-dashboard"), "metadata.namespace")).isEqualTo(NAMESPACE);
    }

    @Test
    void inNodeProberGetsAContainerPortAndItsSettings() {
        Manifests m = HelmChart.render(work, Map.of("derper", Map.of("probe", Map.of("enabled", true, "listen", ":9030",
                "mesh-interval", "30s"))), HelmChart.ciValues("meshed-values.yaml"));
        assertThat(maps(m.container().get("ports"))).anyMatch(p -> "prober".equals(p.get("name"))
                && Integer.valueOf(9030).equals(p.get("containerPort")));
        Map<String, Object> config = m.applicationConfig();
        assertThat(at(config, "derper.probe.enabled")).isEqualTo(true);
        assertThat(stringAt(config, "derper.probe.listen")).isEqualTo(":9030");
        assertThat(stringAt(config, "derper.probe.derp-map")).isEqualTo("local");
        Manifests off = HelmChart.render(work, HelmChart.ciValues("meshed-values.yaml"));
        assertThat(maps(off.container().get("ports"))).noneMatch(p -> "prober".equals(p.get("name")));
    }

    @Test
    void notesTellHowToReachTheStatusPage() {
        String notes = HelmChart.renderNotes(work.resolve("on"), proberOn(Map.of()), HelmChart.ciValues("meshed-values.yaml"));
        assertThat(notes).contains("port-forward svc/" + PROBER + " 8030", "/status.json");
        assertThat(HelmChart.renderNotes(work.resolve("off"), Map.of(), HelmChart.ciValues("meshed-values.yaml"))).doesNotContain("Prober");
    }
}
