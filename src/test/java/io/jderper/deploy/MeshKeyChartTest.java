package io.jderper.deploy;

import io.jderper.deploy.HelmChart.Cluster;
import io.jderper.deploy.HelmChart.Manifests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.HelmChartTest.MESH_KEY;
import static io.jderper.deploy.YamlTrees.mapAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart under GitOps: Argo CD renders with helm template (no cluster, so every lookup is empty) and applies the
 * result on every sync, so the same values must give the same bytes, and the mesh key must never be invented anew.
 * A key change must roll the pods, or nodes holding different keys stop meshing without anyone noticing.
 */
class MeshKeyChartTest {

    static final String MESH_SECRET = FULLNAME + "-mesh";
    static final String OTHER_KEY = "fedcba9876543210".repeat(4);

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"default-values.yaml", "meshed-values.yaml"})
    void twoTemplateRendersAreByteIdentical(String file) {
        Map<String, Object> withProber = Map.of("prober", Map.of("enabled", true));
        String first = HelmChart.renderText(Cluster.NONE, work, withProber, HelmChart.ciValues(file));
        String second = HelmChart.renderText(Cluster.NONE, work, withProber, HelmChart.ciValues(file));
        assertThat(second).isEqualTo(first);
    }

    @Test
    void twoTemplateRendersWithAnExistingSecretAreByteIdentical() {
        Map<String, Object> values = Map.of("replicaCount", 3, "mesh", HelmChartTest.REGION_SECRET);
        assertThat(HelmChart.renderText(Cluster.NONE, work, values))
                .isEqualTo(HelmChart.renderText(Cluster.NONE, work, values));
    }

    @Test
    void aTemplateOnlyRenderRefusesToInventAKeyAndSaysWhatToSet() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("replicaCount", 2)))
                .hasMessageContaining("set mesh.existingSecret")
                .hasMessageContaining("or derper.mesh.key")
                .hasMessageContaining("helm template, Argo CD");
    }

    @Test
    void theChartsOnlyLookupsAreTheOnesTheseTestsAnswer() throws Exception {
        // helm-java's template would ask a real cluster; every lookup must be one HelmChart.Cluster answers.
        String helpers = Files.readString(HelmChart.CHART.resolve("templates/_helpers.tpl"));
        Matcher lookups = HelmChart.LOOKUP.matcher(helpers);
        int answered = 0;
        while (lookups.find()) {
            answered++;
        }
        assertThat(answered).isEqualTo(2);
        assertThat(helpers.split("lookup \"", -1)).hasSize(answered + 1);
    }

    @Test
    void anInstallAgainstAClusterGeneratesOneKeyThatSecretAndChecksumsShare() {
        Manifests m = new Manifests(YamlTrees.loadAll(HelmChart.renderText(Cluster.WITHOUT_MESH_SECRET, work,
                Map.of("replicaCount", 2, "prober", Map.of("enabled", true)))));
        String stored = storedKey(m);
        assertThat(decode(stored)).matches("[0-9a-f]{64}");
        // Generated once per render: the pods and the prober roll on exactly the key the Secret holds.
        assertThat(podAnnotations(m)).containsEntry("checksum/mesh-key", sha256(stored));
        assertThat(proberAnnotations(m)).containsEntry("checksum/mesh-key", sha256(stored));
    }

    @Test
    void anUpgradeKeepsTheKeyTheClusterHolds() {
        String held = Base64.getEncoder().encodeToString(OTHER_KEY.getBytes(StandardCharsets.US_ASCII));
        Cluster cluster = Cluster.withMeshSecret(held);
        String first = HelmChart.renderText(cluster, work, Map.of("replicaCount", 2));
        assertThat(HelmChart.renderText(cluster, work, Map.of("replicaCount", 2))).isEqualTo(first);
        Manifests m = new Manifests(YamlTrees.loadAll(first));
        assertThat(storedKey(m)).isEqualTo(held);
        assertThat(podAnnotations(m)).containsEntry("checksum/mesh-key", sha256(held));
    }

    @Test
    void aGivenKeyWinsOverTheStoredOne() {
        String held = Base64.getEncoder().encodeToString(OTHER_KEY.getBytes(StandardCharsets.US_ASCII));
        Manifests m = new Manifests(YamlTrees.loadAll(HelmChart.renderText(Cluster.withMeshSecret(held), work,
                Map.of("replicaCount", 2, "derper", Map.of("mesh", Map.of("key", MESH_KEY))))));
        assertThat(decode(storedKey(m))).isEqualTo(MESH_KEY);
    }

    @Test
    void aNewKeyRollsThePodsAndNothingElseDoes() {
        Manifests a = HelmChart.render(work, Map.of("replicaCount", 2, "derper", Map.of("mesh", Map.of("key", MESH_KEY))));
        Manifests b = HelmChart.render(work, Map.of("replicaCount", 2, "derper", Map.of("mesh", Map.of("key", OTHER_KEY))));
        assertThat(podAnnotations(a).get("checksum/mesh-key")).isNotNull()
                .isNotEqualTo(podAnnotations(b).get("checksum/mesh-key"));
        assertThat(podAnnotations(a).get("checksum/config")).isEqualTo(podAnnotations(b).get("checksum/config"));
        assertThat(HelmChartTest.renderedText(a)).doesNotContain(MESH_KEY);
    }

    @Test
    void anExistingSecretIsNotReadSoThereIsNoKeyChecksum() {
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "mesh", HelmChartTest.REGION_SECRET));
        assertThat(m.all("Secret")).isEmpty();
        assertThat(podAnnotations(m)).containsKey("checksum/config").doesNotContainKey("checksum/mesh-key");
    }

    @Test
    void anExistingSecretAndAGivenKeyTogetherAreRefused() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("replicaCount", 2, "mesh", HelmChartTest.REGION_SECRET,
                "derper", Map.of("mesh", Map.of("key", MESH_KEY)))))
                .hasMessageContaining("either mesh.existingSecret or derper.mesh.key, not both");
    }

    @Test
    void noMeshNoKeyNeeded() {
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "mesh", Map.of("enabled", false)));
        assertThat(podAnnotations(m)).doesNotContainKey("checksum/mesh-key");
        assertThat(m.has("Secret", MESH_SECRET)).isFalse();
    }

    private static String storedKey(Manifests m) {
        return (String) mapAt(m.one("Secret", MESH_SECRET), "data").get("mesh.key");
    }

    private static Map<String, Object> podAnnotations(Manifests m) {
        return mapAt(m.statefulSet(), "spec.template.metadata.annotations");
    }

    private static Map<String, Object> proberAnnotations(Manifests m) {
        List<Map<String, Object>> deployments = m.all("Deployment");
        assertThat(deployments).hasSize(1);
        return mapAt(deployments.get(0), "spec.template.metadata.annotations");
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }

    /** What the chart's sha256sum gives for a string. */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
