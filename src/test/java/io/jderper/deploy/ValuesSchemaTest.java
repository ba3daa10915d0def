package io.jderper.deploy;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.jderper.deploy.YamlTrees.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * values.schema.json: a wrong type, a misspelt key or a value outside an enum stops helm template and helm lint
 * with a message naming the value, instead of rendering something that silently ignores it.
 */
class ValuesSchemaTest {

    static final Path SCHEMA = HelmChart.CHART.resolve("values.schema.json");

    /**
     * Objects whose keys the chart does not own, so the schema leaves them open: Kubernetes objects passed through
     * (affinity, security contexts, resource requests), label and annotation maps, and Spring's extra configuration.
     */
    static final Set<String> OPEN_OBJECTS = Set.of(
            "extraConfig", "podSecurityContext", "securityContext", "affinity", "prober.affinity",
            "tolerations[]", "prober.tolerations[]", "topologySpreadConstraints[]", "extraEnv[]", "extraVolumes[]",
            "extraVolumeMounts[]", "extraContainers[]", "serviceMonitor.relabelings[]",
            "serviceMonitor.metricRelabelings[]");

    @TempDir
    Path work;

    @Test
    void aWrongTypeFailsTheRenderNamingTheValue() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("replicaCount", "two")))
                .hasMessageContaining("/replicaCount").hasMessageContaining("want integer");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("derper", Map.of("stun", Map.of("enabled", "yes")))))
                .hasMessageContaining("/derper/stun/enabled").hasMessageContaining("want boolean");
    }

    @Test
    void aMisspeltKeyFailsAtEveryLevel() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("persistance", Map.of("enabled", false))))
                .hasMessageContaining("additional properties 'persistance' not allowed");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("derper", Map.of("relay", Map.of("drainperiod", "5s")))))
                .hasMessageContaining("/derper/relay").hasMessageContaining("'drainperiod' not allowed");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("expose", Map.of("perPod", List.of(Map.of("loadBalancerIP", "192.0.2.1"))))))
                .hasMessageContaining("/expose/perPod/0").hasMessageContaining("'loadBalancerIP' not allowed");
    }

    @Test
    void aValueOutsideItsEnumFailsListingTheChoices() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("expose", Map.of("type", "LoadBalancr"))))
                .hasMessageContaining("/expose/type").hasMessageContaining("'LoadBalancer', 'NodePort'");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("derper", Map.of("tls", Map.of("mode", "acme")))))
                .hasMessageContaining("/derper/tls/mode").hasMessageContaining("'letsencrypt'");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("mesh", Map.of("enabled", "sometimes"))))
                .hasMessageContaining("/mesh/enabled");
    }

    @Test
    void lintFailsOnTheSameMistakes() throws Exception {
        Path bad = Files.writeString(work.resolve("bad-values.yaml"), "replicaCount: two\npersistance: {enabled: false}\n");
        LintResult result = HelmChart.lint(work, bad);
        assertThat(result.isFailed()).isTrue();
        assertThat(String.join("\n", result.getMessages())).contains("/replicaCount").contains("persistance");
    }

    @Test
    void everyObjectIsClosedUnlessItIsPassedThrough() {
        Map<String, Object> schema = YamlTrees.load(ContainerFilesTest.read(SCHEMA));
        Set<String> open = new TreeSet<>();
        walk("", schema, open);
        assertThat(open).as("objects that accept any key").isEqualTo(new TreeSet<>(OPEN_OBJECTS));
    }

    @Test
    void theSchemaDescribesExactlyTheValuesOfValuesYaml() {
        Map<String, Object> schema = YamlTrees.load(ContainerFilesTest.read(SCHEMA));
        Set<String> onlyInSchema = new TreeSet<>();
        Set<String> onlyInValues = new TreeSet<>();
        compare("", schema, HelmChart.defaultValues(), onlyInSchema, onlyInValues);
        assertThat(onlyInValues).as("values.yaml keys the schema does not describe").isEmpty();
        // Documented in values.yaml as a comment: used instead of maxUnavailable when set.
        assertThat(onlyInSchema).as("schema properties values.yaml does not have").containsExactly("podDisruptionBudget.minAvailable");
    }

    /** Paths of values.yaml that the chart documents: every key down to where the schema stops naming keys. */
    static Set<String> documentedPaths() {
        Map<String, Object> schema = YamlTrees.load(ContainerFilesTest.read(SCHEMA));
        Set<String> leaves = new TreeSet<>();
        leaves("", schema, HelmChart.defaultValues(), leaves);
        leaves.add("podDisruptionBudget.minAvailable");
        return leaves;
    }

    private static void leaves(String path, Map<String, Object> schema, Map<String, Object> values, Set<String> out) {
        Map<String, Object> props = map(schema.get("properties"));
        values.forEach((k, v) -> {
            String child = path.isEmpty() ? k : path + "." + k;
            Object sub = props.get(k);
            if (sub instanceof Map<?, ?> s && s.get("properties") != null && v instanceof Map<?, ?> m && !m.isEmpty()) {
                leaves(child, map(s), map(m), out);
            } else {
                out.add(child);
            }
        });
    }

    private static void compare(String path, Map<String, Object> schema, Map<String, Object> values,
                                Set<String> onlyInSchema, Set<String> onlyInValues) {
        Map<String, Object> props = map(schema.get("properties"));
        props.keySet().stream().filter(k -> !values.containsKey(k))
                .forEach(k -> onlyInSchema.add(path.isEmpty() ? k : path + "." + k));
        values.forEach((k, v) -> {
            String child = path.isEmpty() ? k : path + "." + k;
            Object sub = props.get(k);
            if (sub == null) {
                onlyInValues.add(child);
            } else if (map(sub).get("properties") != null && v instanceof Map<?, ?> m) {
                compare(child, map(sub), map(m), onlyInSchema, onlyInValues);
            }
        });
    }

    /** Collects the paths of objects that allow unknown keys of any shape. */
    private static void walk(String path, Map<String, Object> node, Set<String> open) {
        Object props = node.get("properties");
        Object additional = node.get("additionalProperties");
        if ("object".equals(node.get("type"))) {
            boolean closed = Boolean.FALSE.equals(additional) || additional instanceof Map<?, ?>;
            if (!closed) {
                open.add(path);
            }
        }
        if (props instanceof Map<?, ?> p) {
            map(p).forEach((k, v) -> walk(path.isEmpty() ? k : path + "." + k, map(v), open));
        }
        if (node.get("items") instanceof Map<?, ?> items) {
            walk(path + "[]", map(items), open);
        }
    }
}
