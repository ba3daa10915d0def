package io.jderper.deploy;

import com.marcnuri.helm.LintResult;
import io.jderper.deploy.HelmChart.Manifests;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.HelmChart.NAMESPACE;
import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.map;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.maps;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** helm lint and helm template of helm/jderper, with the rendered objects checked field by field. */
class HelmChartTest {

    static final String HEADLESS = FULLNAME + "-headless";
    static final String HEADLESS_FQDN = HEADLESS + "." + NAMESPACE + ".svc.cluster.local";
    /** A mesh key for renders that turn the mesh on (a template-only render refuses to generate one). */
    static final String MESH_KEY = "0123456789abcdef".repeat(4);
    /** mesh: values naming a Secret managed outside the chart. */
    static final Map<String, Object> REGION_SECRET = Map.of("existingSecret", "region-psk");

    @TempDir
    Path work;

    @Test
    void lintPassesStrictWithTheChartsOwnValues() {
        LintResult result = HelmChart.lint(work);
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"default-values.yaml", "meshed-values.yaml", "small-node-values.yaml"})
    void lintPassesStrictWithEachCiValuesFile(String file) {
        LintResult result = HelmChart.lint(work, HelmChart.ciValues(file));
        assertThat(result.isFailed()).as("helm lint --strict -f ci/%s: %s", file, result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class DefaultValues {
        Manifests m;

        @BeforeAll
        void render() {
            m = HelmChart.render(null, HelmChart.ciValues("default-values.yaml"));
        }

        @Test
        void oneNodeStatefulSetBehindTheHeadlessService() {
            Map<String, Object> sts = m.statefulSet();
            assertThat(at(sts, "spec.replicas")).isEqualTo(1);
            assertThat(stringAt(sts, "spec.serviceName")).isEqualTo(HEADLESS);
            assertThat(stringAt(sts, "spec.podManagementPolicy")).isEqualTo("Parallel");
            Map<String, Object> selector = mapAt(sts, "spec.selector.matchLabels");
            assertThat(mapAt(sts, "spec.template.metadata.labels")).containsAllEntriesOf(selector);
            assertThat(mapAt(sts, "spec.template.metadata.annotations")).containsKey("checksum/config");
        }

        @Test
        void containerPortsMatchTheApplicationConfig() {
            List<Map<String, Object>> ports = maps(m.container().get("ports"));
            assertThat(ports).extracting(p -> p.get("name") + "/" + p.get("containerPort") + "/" + p.get("protocol"))
                    .containsExactlyInAnyOrder("https/443/TCP", "http/80/TCP", "stun/3478/UDP", "management/8081/TCP");
            Map<String, Object> config = m.applicationConfig();
            assertThat(stringAt(config, "derper.listen")).isEqualTo(":443");
            assertThat(at(config, "derper.http.port")).isEqualTo(80);
            assertThat(at(config, "derper.stun.port")).isEqualTo(3478);
            assertThat(at(config, "management.server.port")).isEqualTo(8081);
        }

        @Test
        void probesUseTheActuatorHealthGroupsOnTheManagementPort() {
            Map<String, Object> c = m.container();
            assertThat(stringAt(c, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
            assertThat(stringAt(c, "livenessProbe.httpGet.port")).isEqualTo("management");
            assertThat(stringAt(c, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
            assertThat(stringAt(c, "readinessProbe.httpGet.port")).isEqualTo("management");
            assertThat(stringAt(c, "startupProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
            assertThat(maps(c.get("ports"))).anyMatch(p -> "management".equals(p.get("name"))
                    && Integer.valueOf(8081).equals(p.get("containerPort")));
        }

        @Test
        void runsAsNonRootWithReadOnlyRootAndNoCapabilities() {
            Map<String, Object> pod = mapAt(m.podSpec(), "securityContext");
            assertThat(pod.get("runAsNonRoot")).isEqualTo(true);
            assertThat((Integer) pod.get("runAsUser")).isPositive();
            Map<String, Object> c = mapAt(m.container(), "securityContext");
            assertThat(c.get("readOnlyRootFilesystem")).isEqualTo(true);
            assertThat(c.get("allowPrivilegeEscalation")).isEqualTo(false);
            assertThat(list(at(c, "capabilities.drop"))).containsExactly("ALL");
            assertThat(at(c, "capabilities.add")).isNull();
            // Ports 80/443 as non-root come from the namespaced sysctl, not from a capability.
            assertThat(maps(pod.get("sysctls"))).containsExactly(
                    Map.of("name", "net.ipv4.ip_unprivileged_port_start", "value", "80"));
            assertThat(m.podSpec().get("automountServiceAccountToken")).isEqualTo(false);
            assertThat(m.podSpec().get("enableServiceLinks")).isEqualTo(false);
        }

        @Test
        void writablePathsAreVolumes() {
            Map<String, String> mounts = mounts(m.container());
            assertThat(mounts).containsEntry("tmp", "/tmp").containsEntry("data", "/var/lib/derper");
            Map<String, Object> config = m.applicationConfig();
            assertThat(stringAt(config, "derper.key-file")).isEqualTo("/var/lib/derper/derper.key");
            assertThat(stringAt(config, "derper.tls.cert-dir")).isEqualTo("/var/lib/derper/certs");
            // The config reaches the app through its mounted ConfigMap.
            String configDir = mounts.get("config");
            assertThat(env(m.container())).containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "file:" + configDir + "/");
            assertThat(volume(m.podSpec(), "config")).extracting(v -> stringAt(v, "configMap.name"))
                    .isEqualTo(FULLNAME + "-config");
        }

        @Test
        void serverKeyPersistsPerPodInAVolumeClaimTemplate() {
            List<Map<String, Object>> claims = maps(at(m.statefulSet(), "spec.volumeClaimTemplates"));
            assertThat(claims).hasSize(1);
            Map<String, Object> claim = claims.get(0);
            assertThat(stringAt(claim, "metadata.name")).isEqualTo("data");
            assertThat(list(at(claim, "spec.accessModes"))).containsExactly("ReadWriteOnce");
            assertThat(stringAt(claim, "spec.resources.requests.storage")).isNotBlank();
            assertThat(volumeNames(m.podSpec())).doesNotContain("data"); // comes from the claim template
            assertThat(stringAt(m.statefulSet(), "spec.persistentVolumeClaimRetentionPolicy.whenDeleted")).isEqualTo("Retain");
        }

        @Test
        void headlessServicePublishesNotReadyPods() {
            Map<String, Object> svc = m.one("Service", HEADLESS);
            assertThat(stringAt(svc, "spec.clusterIP")).isEqualTo("None");
            assertThat(at(svc, "spec.publishNotReadyAddresses")).isEqualTo(true);
            assertThat(servicePorts(svc)).contains("https/443/TCP", "stun/3478/UDP", "management/8081/TCP");
        }

        @Test
        void onePublicServicePerPodWithTcpAndUdp() {
            Map<String, Object> svc = m.one("Service", FULLNAME + "-0");
            assertThat(stringAt(svc, "spec.type")).isEqualTo("LoadBalancer");
            assertThat(stringAt(svc, "spec.externalTrafficPolicy")).isEqualTo("Local");
            assertThat(mapAt(svc, "spec.selector")).containsEntry("statefulset.kubernetes.io/pod-name", FULLNAME + "-0");
            assertThat(servicePorts(svc)).containsExactlyInAnyOrder("https/443/TCP", "http/80/TCP", "stun/3478/UDP");
            assertThat(publicServices(m)).hasSize(1);
        }

        @Test
        void podDisruptionBudgetSelectsThePods() {
            List<Map<String, Object>> pdbs = m.all("PodDisruptionBudget");
            assertThat(pdbs).hasSize(1);
            assertThat(stringAt(pdbs.get(0), "apiVersion")).isEqualTo("policy/v1");
            assertThat(at(pdbs.get(0), "spec.maxUnavailable")).isEqualTo(1);
            assertThat(mapAt(m.statefulSet(), "spec.template.metadata.labels"))
                    .containsAllEntriesOf(mapAt(pdbs.get(0), "spec.selector.matchLabels"));
        }

        @Test
        void noMeshAndNoServiceMonitorForOneNode() {
            assertThat(at(m.applicationConfig(), "derper.mesh")).isNull();
            assertThat(m.all("Secret")).isEmpty();
            assertThat(m.all("ServiceMonitor")).isEmpty();
            assertThat(volumeNames(m.podSpec())).doesNotContain("mesh-key");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class MeshedValues {
        Manifests m;

        @BeforeAll
        void render() {
            m = HelmChart.render(null, HelmChart.ciValues("meshed-values.yaml"));
        }

        @Test
        void threeReplicasEachWithItsOwnPublicService() {
            assertThat(at(m.statefulSet(), "spec.replicas")).isEqualTo(3);
            List<Map<String, Object>> services = publicServices(m);
            assertThat(services).extracting(s -> stringAt(s, "metadata.name"))
                    .containsExactly(FULLNAME + "-0", FULLNAME + "-1", FULLNAME + "-2");
            for (int i = 0; i < 3; i++) {
                Map<String, Object> svc = services.get(i);
                assertThat(mapAt(svc, "spec.selector")).containsEntry("statefulset.kubernetes.io/pod-name", FULLNAME + "-" + i);
                // The pinned addresses go to the load balancer through its annotation; spec.loadBalancerIP is
                // deprecated (Kubernetes 1.24) and single-stack.
                assertThat(at(svc, "spec.loadBalancerIP")).isNull();
                assertThat(mapAt(svc, "metadata.annotations"))
                        .containsEntry("metallb.io/loadBalancerIPs", "192.0.2.1" + i + ",2001:db8::1" + i)
                        .containsEntry("external-dns.alpha.kubernetes.io/hostname", FULLNAME + "-" + i + ".derp.ci.example.com");
                assertThat(servicePorts(svc)).contains("stun/3478/UDP");
            }
        }

        @Test
        void meshListsEveryPodByPublicNameDialledThroughTheHeadlessService() {
            Map<String, Object> mesh = mapAt(m.applicationConfig(), "derper.mesh");
            assertThat(mesh).containsEntry("discovery", "static").containsEntry("dial-port", 443).doesNotContainKey("dns-name");
            assertThat(list(mesh.get("with"))).hasSize(3).allSatisfy(e -> assertThat(String.valueOf(e))
                    .contains(".derp.ci.example.com/" + FULLNAME + "-").endsWith("." + HEADLESS_FQDN));
            Map<String, Object> headless = m.one("Service", HEADLESS);
            assertThat(stringAt(headless, "metadata.name") + "." + NAMESPACE + ".svc.cluster.local").isEqualTo(HEADLESS_FQDN);
            assertThat(at(headless, "spec.publishNotReadyAddresses")).isEqualTo(true);
            assertThat(servicePorts(headless)).contains("https/443/TCP");
            assertThat(stringAt(m.statefulSet(), "spec.serviceName")).isEqualTo(HEADLESS);
        }

        @Test
        void meshKeyComesFromTheGeneratedSecretAsAFile() {
            String keyFile = stringAt(m.applicationConfig(), "derper.mesh.key-file");
            assertThat(at(m.applicationConfig(), "derper.mesh.key")).as("key must not be in the ConfigMap").isNull();
            Path path = Path.of(keyFile);
            assertThat(mounts(m.container())).containsEntry("mesh-key", path.getParent().toString());
            Map<String, Object> volume = volume(m.podSpec(), "mesh-key");
            String secretName = stringAt(volume, "secret.secretName");
            Map<String, Object> item = maps(at(volume, "secret.items")).get(0);
            assertThat(item.get("path")).isEqualTo(path.getFileName().toString());
            Map<String, Object> secret = m.one("Secret", secretName);
            String encoded = (String) mapAt(secret, "data").get(item.get("key"));
            String key = new String(Base64.getDecoder().decode(Objects.requireNonNull(encoded)), StandardCharsets.US_ASCII);
            assertThat(key).matches("[0-9a-f]{64}");
        }

        @Test
        void eachPodGetsItsOwnHostnameFromItsName() {
            assertThat(stringAt(m.applicationConfig(), "derper.hostname")).isEqualTo("${POD_NAME}.derp.ci.example.com");
            Map<String, Object> podName = maps(m.container().get("env")).stream()
                    .filter(e -> "POD_NAME".equals(e.get("name"))).findFirst().orElseThrow();
            assertThat(stringAt(podName, "valueFrom.fieldRef.fieldPath")).isEqualTo("metadata.name");
        }

        @Test
        void serviceMonitorScrapesPrometheusThroughTheHeadlessServiceOnly() {
            Map<String, Object> sm = m.one("ServiceMonitor", FULLNAME);
            Map<String, Object> selector = mapAt(sm, "spec.selector.matchLabels");
            assertThat(mapAt(m.one("Service", HEADLESS), "metadata.labels")).containsAllEntriesOf(selector);
            for (Map<String, Object> svc : publicServices(m)) {
                assertThat(mapAt(svc, "metadata.labels").entrySet().containsAll(selector.entrySet()))
                        .as("public Service %s must not be scraped", stringAt(svc, "metadata.name")).isFalse();
            }
            Map<String, Object> endpoint = maps(at(sm, "spec.endpoints")).get(0);
            assertThat(endpoint).containsEntry("port", "management").containsEntry("path", "/actuator/prometheus");
            assertThat(mapAt(sm, "metadata.labels")).containsEntry("release", "prometheus");
        }

        @Test
        void disruptionBudgetKeepsTwoOfThree() {
            assertThat(at(m.one("PodDisruptionBudget", FULLNAME), "spec.maxUnavailable")).isEqualTo(1);
        }
    }

    @Test
    void meshTurnsOnByItselfWithMoreThanOneReplica() {
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "derper", Map.of("mesh", Map.of("key", MESH_KEY))));
        assertThat(mapAt(m.applicationConfig(), "derper.mesh")).containsEntry("discovery", "static");
        assertThat(list(mapAt(m.applicationConfig(), "derper.mesh").get("with"))).hasSize(2);
        assertThat(m.all("Secret")).hasSize(1);
    }

    @Test
    void dnsDiscoveryDefaultsToTheHeadlessServiceAndKeepsAnExplicitName() {
        Manifests dns = HelmChart.render(work, Map.of("replicaCount", 2, "mesh", REGION_SECRET,
                "derper", Map.of("mesh", Map.of("discovery", "dns"))));
        assertThat(mapAt(dns.applicationConfig(), "derper.mesh")).containsEntry("discovery", "dns")
                .containsEntry("dns-name", HEADLESS_FQDN);
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "mesh", REGION_SECRET,
                "derper", Map.of("mesh", Map.of("discovery", "dns", "dns-name", "derp-region.other.svc.cluster.local"))));
        assertThat(mapAt(m.applicationConfig(), "derper.mesh"))
                .containsEntry("dns-name", "derp-region.other.svc.cluster.local");
    }

    @Test
    void meshCanBeTurnedOffForIndependentOneNodeRegions() {
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "mesh", Map.of("enabled", false)));
        assertThat(at(m.applicationConfig(), "derper.mesh")).isNull();
        assertThat(m.all("Secret")).isEmpty();
        assertThat(publicServices(m)).hasSize(2);
    }

    @Test
    void staticDiscoveryListsEveryPodWithItsPublicNameAndInClusterDialHost() {
        Manifests m = HelmChart.render(work, Map.of(
                "replicaCount", 2, "mesh", REGION_SECRET,
                "derper", Map.of("hostname", "derp${POD_INDEX}.example.com",
                        "mesh", Map.of("discovery", "static", "with", List.of("derp9.example.net")))));
        Map<String, Object> mesh = mapAt(m.applicationConfig(), "derper.mesh");
        assertThat(mesh).containsEntry("discovery", "static").doesNotContainKey("dns-name");
        assertThat(list(mesh.get("with"))).containsExactly(
                "derp0.example.com/" + FULLNAME + "-0." + HEADLESS_FQDN,
                "derp1.example.com/" + FULLNAME + "-1." + HEADLESS_FQDN,
                "derp9.example.net");
    }

    @Test
    void existingMeshSecretIsMountedInsteadOfAGeneratedOne() {
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2,
                "mesh", Map.of("existingSecret", "region-psk", "existingSecretKey", "psk")));
        assertThat(m.all("Secret")).isEmpty();
        Map<String, Object> volume = volume(m.podSpec(), "mesh-key");
        assertThat(stringAt(volume, "secret.secretName")).isEqualTo("region-psk");
        assertThat(maps(at(volume, "secret.items")).get(0)).containsEntry("key", "psk").containsEntry("path", "mesh.key");
    }

    @Test
    void givenMeshKeyGoesIntoTheSecretNotTheConfigMap() {
        String key = "0123456789abcdef".repeat(4);
        Manifests m = HelmChart.render(work, Map.of("replicaCount", 2, "derper", Map.of("mesh", Map.of("key", key))));
        String encoded = (String) mapAt(m.one("Secret", FULLNAME + "-mesh"), "data").get("mesh.key");
        assertThat(new String(Base64.getDecoder().decode(encoded), StandardCharsets.US_ASCII)).isEqualTo(key);
        assertThat(mapAt(m.applicationConfig(), "derper.mesh")).doesNotContainKey("key");
        assertThat(renderedText(m)).doesNotContain(key);
    }

    @Test
    void malformedMeshKeyFailsTheRenderNamingTheValue() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("mesh", Map.of("enabled", true),
                "derper", Map.of("mesh", Map.of("key", "not-hex")))))
                .hasMessageContaining("/derper/mesh/key").hasMessageContaining("'not-hex' does not match pattern");
    }

    @Test
    void devModeIsRefused() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("derper", Map.of("dev", true))))
                .hasMessageContaining("derper.dev=true");
    }

    @Test
    void unknownMeshDiscoveryIsRefused() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("replicaCount", 2,
                "derper", Map.of("mesh", Map.of("discovery", "mdns")))))
                .hasMessageContaining("/derper/mesh/discovery").hasMessageContaining("'static', 'dns'");
    }

    @Test
    void hostNetworkDropsTheSysctlAndKeepsOnePodPerNode() {
        Manifests m = HelmChart.render(work, Map.of("hostNetwork", true, "expose", Map.of("mode", "none")));
        Map<String, Object> pod = m.podSpec();
        assertThat(pod).containsEntry("hostNetwork", true).containsEntry("dnsPolicy", "ClusterFirstWithHostNet");
        assertThat(at(pod, "securityContext.sysctls")).isNull();
        assertThat(at(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")).isNotNull();
        assertThat(publicServices(m)).isEmpty();
        assertThat(m.has("Service", HEADLESS)).isTrue();
    }

    @Test
    void singleServiceExposureSelectsAllPods() {
        Manifests m = HelmChart.render(work, Map.of("expose", Map.of("mode", "single")));
        Map<String, Object> svc = m.one("Service", FULLNAME);
        assertThat(mapAt(svc, "spec.selector")).doesNotContainKey("statefulset.kubernetes.io/pod-name");
        assertThat(servicePorts(svc)).contains("stun/3478/UDP");
    }

    @Test
    void withoutPersistenceTheDataDirIsAnEmptyDir() {
        Manifests m = HelmChart.render(work, Map.of("persistence", Map.of("enabled", false)));
        assertThat(at(m.statefulSet(), "spec.volumeClaimTemplates")).isNull();
        assertThat(volume(m.podSpec(), "data")).containsKey("emptyDir");
    }

    @Test
    void serverKeysCanComeFromOneSecretWithAnEntryPerPod() {
        Manifests m = HelmChart.render(work, Map.of("serverKeys", Map.of("existingSecret", "derp-keys")));
        assertThat(stringAt(m.applicationConfig(), "derper.key-file")).isEqualTo("/etc/jderper/server-keys/${POD_NAME}.key");
        assertThat(mounts(m.container())).containsEntry("server-keys", "/etc/jderper/server-keys");
        assertThat(stringAt(volume(m.podSpec(), "server-keys"), "secret.secretName")).isEqualTo("derp-keys");
    }

    @Test
    void manualTlsCertificatesFromASecretBecomeTheCertDir() {
        Manifests m = HelmChart.render(work, Map.of("tls", Map.of("existingSecret", "derp-tls"),
                "derper", Map.of("tls", Map.of("mode", "manual"))));
        assertThat(stringAt(m.applicationConfig(), "derper.tls.cert-dir")).isEqualTo("/etc/jderper/certs");
        assertThat(mounts(m.container())).containsEntry("tls", "/etc/jderper/certs");
    }

    @Test
    void portsAbove1023NeedNoSysctlAndADisabledHttpPortIsMinusOne() {
        Manifests m = HelmChart.render(work, Map.of("ports", Map.of("https", 8443, "http", 0)));
        assertThat(at(m.podSpec(), "securityContext.sysctls")).isNull();
        assertThat(stringAt(m.applicationConfig(), "derper.listen")).isEqualTo(":8443");
        assertThat(at(m.applicationConfig(), "derper.http.port")).isEqualTo(-1);
        assertThat(servicePorts(m.one("Service", FULLNAME + "-0"))).containsExactlyInAnyOrder("https/8443/TCP", "stun/3478/UDP");
    }

    @Test
    void stunOffRemovesTheUdpPortEverywhere() {
        Manifests m = HelmChart.render(work, Map.of("derper", Map.of("stun", Map.of("enabled", false))));
        assertThat(maps(m.container().get("ports"))).noneMatch(p -> "UDP".equals(p.get("protocol")));
        assertThat(servicePorts(m.one("Service", FULLNAME + "-0"))).noneMatch(p -> p.endsWith("/UDP"));
        assertThat(at(m.applicationConfig(), "derper.stun.enabled")).isEqualTo(false);
    }

    @Test
    void extraConfigIsMergedButCannotOverrideTheChartsKeys() {
        Manifests m = HelmChart.render(work, Map.of("extraConfig", Map.of(
                "logging", Map.of("level", Map.of("io.jderper", "DEBUG")),
                "management", Map.of("server", Map.of("port", 9999)))));
        Map<String, Object> config = m.applicationConfig();
        assertThat(mapAt(config, "logging.level")).containsEntry("io.jderper", "DEBUG");
        assertThat(at(config, "management.server.port")).isEqualTo(8081);
    }

    @Test
    void notesCarryTheStaticIpCaveatAndTheMeshKeyCommand() {
        String notes = HelmChart.renderNotes(work, Map.of(), HelmChart.ciValues("meshed-values.yaml"));
        assertThat(notes).contains("STATIC IPs").contains("UDP 3478").contains("externalTrafficPolicy: Local")
                .contains(FULLNAME + "-2  hostname " + FULLNAME + "-2.derp.ci.example.com")
                .contains("get secret " + FULLNAME + "-mesh")
                .doesNotContain("WARNING");
    }

    @Test
    void notesWarnAboutSharedHostnamesPlainHttpAndLostKeys() {
        String notes = HelmChart.renderNotes(work, Map.of("replicaCount", 2, "mesh", REGION_SECRET, "ports", Map.of("https", 8443),
                "persistence", Map.of("enabled", false)));
        assertThat(notes).contains("derper.hostname is still derp.example.com")
                .contains("2 nodes share the hostname")
                .contains("serves plain HTTP")
                .contains("the server key changes on every restart");
    }

    // ---- helpers over rendered objects ----

    static String renderedText(Manifests m) {
        return m.objects().toString();
    }

    static List<Map<String, Object>> publicServices(Manifests m) {
        return m.all("Service").stream()
                .filter(s -> "public".equals(mapAt(s, "metadata.labels").get("jderper.io/service")))
                .toList();
    }

    static List<String> servicePorts(Map<String, Object> svc) {
        return maps(at(svc, "spec.ports")).stream()
                .map(p -> p.get("name") + "/" + p.get("port") + "/" + p.get("protocol"))
                .toList();
    }

    static Map<String, String> mounts(Map<String, Object> container) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        maps(container.get("volumeMounts")).forEach(v -> out.put((String) v.get("name"), (String) v.get("mountPath")));
        return out;
    }

    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        maps(container.get("env")).stream().filter(e -> e.containsKey("value"))
                .forEach(e -> out.put((String) e.get("name"), String.valueOf(e.get("value"))));
        return out;
    }

    static List<String> volumeNames(Map<String, Object> podSpec) {
        return maps(podSpec.get("volumes")).stream().map(v -> (String) v.get("name")).toList();
    }

    static Map<String, Object> volume(Map<String, Object> podSpec, String name) {
        return maps(podSpec.get("volumes")).stream().filter(v -> name.equals(v.get("name"))).findFirst()
                .map(v -> map(v))
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + volumeNames(podSpec)));
    }
}
