package io.jderper.deploy;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.StunProperties;
import io.jderper.config.TlsProperties;
import io.jderper.deploy.HelmChart.Manifests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.FileSystemResource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.HelmChart.NAMESPACE;
import static io.jderper.deploy.YamlTrees.mapAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the chart and the application in step: every derper.* key the chart documents or renders must be a property
 * of the @ConfigurationProperties records, every property must be documented in values.yaml, and what the chart
 * renders must bind to the records without errors.
 */
class ChartPropertiesTest {

    @TempDir
    Path work;

    @Test
    void catalogComesFromTheRecords() {
        assertThat(PropertyCatalog.names()).contains("derper.listen", "derper.key-file", "derper.mesh.dns-name",
                "derper.tls.acme.eab-kid", "derper.stun.port", "derper.http.port");
        assertThat(PropertyCatalog.names()).doesNotContain("derper.tls.acme", "derper.mesh");
        assertThat(PropertyCatalog.propertyForEnvironmentVariable("DERPER_MESH_DNSNAME")).isEqualTo("derper.mesh.dns-name");
        assertThat(PropertyCatalog.propertyForEnvironmentVariable("DERPER_MESH_WITH_0")).isEqualTo("derper.mesh.with");
        assertThat(PropertyCatalog.propertyForEnvironmentVariable("DERPER_MESH_DNS_NAME")).isEqualTo("derper.mesh.dns-name");
        assertThat(PropertyCatalog.propertyForEnvironmentVariable("DERPER_MESH_PSK_FILE")).isNull();
        assertThat(PropertyCatalog.propertyForEnvironmentVariable("DERPER_MESHWITH")).isNull();
    }

    @Test
    void valuesYamlDocumentsEveryDerperPropertyAndNothingElse() {
        Map<String, Object> derper = mapAt(HelmChart.defaultValues(), "derper");
        Set<String> documented = YamlTrees.leafPaths("derper", derper);
        Set<String> missing = new TreeSet<>(PropertyCatalog.names());
        missing.removeAll(documented);
        Set<String> unknown = new TreeSet<>(documented);
        unknown.removeAll(PropertyCatalog.names());
        assertThat(missing).as("properties of io.jderper.config records without a documented entry under derper: in "
                + "helm/jderper/values.yaml (add them there, with a comment)").isEmpty();
        assertThat(unknown).as("keys under derper: in helm/jderper/values.yaml that are not application properties")
                .isEmpty();
    }

    @Test
    void chartPortsAndProbePathsAgreeWithThePackagedConfig() {
        Map<String, Object> packaged = ContainerFilesTest.packagedConfig();
        Map<String, Object> ports = mapAt(HelmChart.defaultValues(), "ports");
        assertThat(":" + ports.get("https")).isEqualTo(YamlTrees.stringAt(packaged, "derper.listen"));
        assertThat(ports.get("http")).isEqualTo(YamlTrees.at(packaged, "derper.http.port"));
        assertThat(ports.get("stun")).isEqualTo(YamlTrees.at(packaged, "derper.stun.port"));
        assertThat(ports.get("management")).isEqualTo(YamlTrees.at(packaged, "management.server.port"));
        // The probes ask /actuator/health/{liveness,readiness}; the ServiceMonitor asks /actuator/prometheus.
        assertThat(YamlTrees.at(packaged, "management.endpoint.health.probes.enabled")).isEqualTo(true);
        assertThat(String.valueOf(YamlTrees.at(packaged, "management.endpoints.web.exposure.include")))
                .contains("health").contains("prometheus");
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "meshed", "static-mesh", "manual-tls-server-keys"})
    void renderedConfigUsesOnlyRealProperties(String scenario) {
        Map<String, Object> config = render(scenario).applicationConfig();
        Set<String> keys = YamlTrees.leafPaths("derper", mapAt(config, "derper"));
        assertThat(keys).isNotEmpty();
        assertThat(keys).allSatisfy(k -> assertThat(PropertyCatalog.names()).as("rendered key %s", k).contains(k));
    }

    @ParameterizedTest
    @ValueSource(strings = {"default", "meshed", "static-mesh", "manual-tls-server-keys"})
    void renderedConfigBindsToTheApplicationsRecords(String scenario) {
        Map<String, Object> bound = bind(render(scenario).applicationConfigText(), "1");
        DerperProperties core = (DerperProperties) bound.get("derper");
        assertThat(core.dev()).isFalse();
        assertThat(core.listenAddress().port()).isEqualTo(443);
        assertThat(((HttpPortProperties) bound.get("derper.http")).port()).isEqualTo(80);
        assertThat(((StunProperties) bound.get("derper.stun")).port()).isEqualTo(3478);
        assertThat(((TlsProperties) bound.get("derper.tls")).tlsEnabled(core)).isTrue();
        MeshProperties mesh = (MeshProperties) bound.get("derper.mesh");
        switch (scenario) {
            case "default" -> {
                assertThat(core.hostname()).isEqualTo("derp.ci.example.com");
                assertThat(core.keyFile()).isEqualTo(Path.of("/var/lib/derper/derper.key"));
                assertThat(mesh.keyFile()).isNull();
                assertThat(mesh.with()).isEmpty();
            }
            case "meshed" -> {
                assertThat(core.hostname()).isEqualTo(FULLNAME + "-1.derp.ci.example.com");
                assertThat(mesh.discovery()).isEqualTo("static");
                assertThat(mesh.with()).hasSize(3)
                        .allMatch(e -> e.endsWith("." + FULLNAME + "-headless." + NAMESPACE + ".svc.cluster.local"));
                assertThat(mesh.keyFile()).isEqualTo(Path.of("/etc/jderper/mesh/mesh.key"));
                assertThat(mesh.dialPort()).isEqualTo(443);
            }
            case "static-mesh" -> {
                assertThat(core.hostname()).isEqualTo("derp1.example.com");
                assertThat(mesh.discovery()).isEqualTo("static");
                assertThat(mesh.with()).hasSize(2).allMatch(e -> e.chars().filter(c -> c == '/').count() == 1);
            }
            case "manual-tls-server-keys" -> {
                assertThat(core.keyFile()).isEqualTo(Path.of("/etc/jderper/server-keys/" + FULLNAME + "-1.key"));
                assertThat(((TlsProperties) bound.get("derper.tls")).certDir()).isEqualTo(Path.of("/etc/jderper/certs"));
            }
            default -> throw new IllegalArgumentException(scenario);
        }
    }

    private Manifests render(String scenario) {
        return switch (scenario) {
            case "default" -> HelmChart.render(work, HelmChart.ciValues("default-values.yaml"));
            case "meshed" -> HelmChart.render(work, HelmChart.ciValues("meshed-values.yaml"));
            case "static-mesh" -> HelmChart.render(work, Map.of("replicaCount", 2, "mesh", HelmChartTest.REGION_SECRET,
                    "derper", Map.of("hostname", "derp${POD_INDEX}.example.com", "mesh", Map.of("discovery", "static"))));
            case "manual-tls-server-keys" -> HelmChart.render(work, Map.of(
                    "serverKeys", Map.of("existingSecret", "keys"),
                    "tls", Map.of("existingSecret", "certs"),
                    "derper", Map.of("hostname", "derp.example.org", "tls", Map.of("mode", "manual"))));
            default -> throw new IllegalArgumentException(scenario);
        };
    }

    /**
     * Binds as the application would in pod {@code index}: the rendered application.yml text (as Spring reads the
     * mounted file) over the packaged one, with the pod's environment for placeholders.
     */
    static Map<String, Object> bind(String renderedConfig, String index) {
        List<PropertySource<?>> sources = new ArrayList<>();
        sources.add(new SystemEnvironmentPropertySource("systemEnvironment", Map.of(
                "POD_NAME", FULLNAME + "-" + index,
                "POD_INDEX", index,
                "POD_NAMESPACE", NAMESPACE)));
        sources.addAll(loadYaml("chart", new ByteArrayResource(renderedConfig.getBytes(StandardCharsets.UTF_8))));
        sources.addAll(packagedApplicationYaml());
        return PropertyCatalog.bindAll(sources);
    }

    static List<PropertySource<?>> packagedApplicationYaml() {
        return loadYaml("packaged", new FileSystemResource(Path.of("src/main/resources/application.yml")));
    }

    private static List<PropertySource<?>> loadYaml(String name, org.springframework.core.io.Resource resource) {
        try {
            return new YamlPropertySourceLoader().load(name, resource);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
