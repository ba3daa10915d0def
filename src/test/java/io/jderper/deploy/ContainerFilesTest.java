package io.jderper.deploy;

import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.TlsProperties;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.map;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dockerfile and docker-compose.yml, read as files (no Docker engine needed): build stages, ports against the
 * application's defaults, health checks, non-root user, and environment variable names against the properties.
 */
class ContainerFilesTest {

    static final Path ROOT = Path.of("").toAbsolutePath();

    /** derper.listen, derper.http.port, derper.stun.port and management.server.port from the packaged config. */
    static Map<String, Object> packagedConfig() {
        return YamlTrees.load(ROOT.resolve("src/main/resources/application.yml"));
    }

    static int packagedManagementPort() {
        return (Integer) at(packagedConfig(), "management.server.port");
    }

    @Nested
    class DockerfileChecks {
        final List<Instruction> instructions = Instruction.parse(read(ROOT.resolve("Dockerfile")));

        @Test
        void buildsWithJdk25AndTheMavenWrapperThenRunsOnAJre25() {
            List<List<Instruction>> stages = stages();
            assertThat(stages).as("multi-stage build").hasSizeGreaterThanOrEqualTo(2);
            Instruction buildFrom = stages.get(0).get(0);
            assertThat(buildFrom.args()).matches("eclipse-temurin:25-jdk\\S*\\s+(?i:AS)\\s+build");
            assertThat(stages.get(0)).filteredOn(i -> i.keyword().equals("RUN"))
                    .anyMatch(i -> i.args().contains("./mvnw -B -DskipTests package"));
            List<Instruction> runtime = stages.get(stages.size() - 1);
            assertThat(runtime.get(0).args()).startsWith("eclipse-temurin:25-jre");
            assertThat(runtime).filteredOn(i -> i.keyword().equals("COPY"))
                    .isNotEmpty()
                    .allMatch(i -> i.args().startsWith("--from=build "));
        }

        @Test
        void runtimeStageRunsAsANumericNonRootUser() {
            List<Instruction> runtime = stages().get(stages().size() - 1);
            Instruction user = runtime.stream().filter(i -> i.keyword().equals("USER")).reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no USER in the runtime stage"));
            // Numeric, so Kubernetes' runAsNonRoot can check it without a passwd lookup.
            assertThat(user.args()).matches("[1-9][0-9]*(:[1-9][0-9]*)?");
            assertThat(user.args().split(":")[0]).isEqualTo("65532"); // the chart's podSecurityContext.runAsUser
        }

        @Test
        void exposesTheApplicationsDefaultPorts() {
            Map<String, Object> config = packagedConfig();
            int listen = Integer.parseInt(stringAt(config, "derper.listen").replaceAll(".*:", ""));
            List<String> exposed = instructions.stream().filter(i -> i.keyword().equals("EXPOSE"))
                    .flatMap(i -> Arrays.stream(i.args().split("\\s+"))).toList();
            assertThat(exposed).containsExactlyInAnyOrder(
                    listen + "/tcp",
                    at(config, "derper.http.port") + "/tcp",
                    at(config, "derper.stun.port") + "/udp",
                    packagedManagementPort() + "/tcp");
        }

        @Test
        void healthCheckAsksTheReadinessGroupOnTheManagementPort() {
            Instruction health = instructions.stream().filter(i -> i.keyword().equals("HEALTHCHECK")).findFirst()
                    .orElseThrow(() -> new AssertionError("no HEALTHCHECK"));
            assertThat(health.args()).contains(" CMD ").contains("/actuator/health/readiness")
                    .contains(":-" + packagedManagementPort() + "}");
        }

        @Test
        void environmentNamesAreRealPropertiesAndStateIsUnderTheDataDirectory() {
            Map<String, String> env = new LinkedHashMap<>();
            instructions.stream().filter(i -> i.keyword().equals("ENV"))
                    .forEach(i -> env.putAll(Instruction.envPairs(i.args())));
            env.keySet().stream().filter(k -> k.startsWith("DERPER_")).forEach(k ->
                    assertThat(PropertyCatalog.propertyForEnvironmentVariable(k)).as("ENV %s", k).isNotNull());
            assertThat(env).containsEntry("DERPER_KEYFILE", "/var/lib/derper/derper.key");
            // Sizes are explicit (MemoryBudgetTest checks them against the limit); a full heap ends the process.
            assertThat(env.get("JDK_JAVA_OPTIONS")).contains("-Xmx").contains("-XX:MaxDirectMemorySize=")
                    .contains("-XX:+ExitOnOutOfMemoryError").doesNotContain("MaxRAMPercentage");
            if (env.get("JDK_JAVA_OPTIONS").contains("--sun-misc-unsafe-memory-access")) {
                // JDK 17 and 21 stop at an unknown launcher option: the runtime image must be 24 or later.
                String runtime = instructions.stream().filter(i -> i.keyword().equals("FROM")).reduce((a, b) -> b)
                        .orElseThrow().args();
                java.util.regex.Matcher major = java.util.regex.Pattern.compile(":(\\d+)").matcher(runtime);
                assertThat(major.find()).as("a JDK major version in the runtime image %s", runtime).isTrue();
                assertThat(Integer.parseInt(major.group(1))).as("runtime image %s", runtime).isGreaterThanOrEqualTo(24);
            }
            Map<String, Object> bound = PropertyCatalog.bindAll(withPackaged(env));
            assertThat(((DerperProperties) bound.get("derper")).keyFile()).isEqualTo(Path.of("/var/lib/derper/derper.key"));
            assertThat(((TlsProperties) bound.get("derper.tls")).certDir()).isEqualTo(Path.of("/var/lib/derper/certs"));
        }

        @Test
        void runtimeImageCarriesTheOciLabels() {
            List<Instruction> runtime = stages().get(stages().size() - 1);
            Map<String, String> labels = labels(runtime);
            assertThat(labels).containsEntry("org.opencontainers.image.title", "jderper")
                    .containsKeys("org.opencontainers.image.description", "org.opencontainers.image.version",
                            "org.opencontainers.image.revision", "org.opencontainers.image.created")
                    .containsEntry("org.opencontainers.image.base.name", runtime.get(0).args());
            assertThat(labels.get("org.opencontainers.image.description")).isEqualTo(
                    read(ROOT.resolve("pom.xml")).replaceAll("(?s).*?<description>([^<]*)</description>.*", "$1"));
            // The version is a build argument whose default is the project's version.
            String version = read(ROOT.resolve("pom.xml")).replaceAll("(?s).*?<artifactId>jderper</artifactId>\\s*<version>([^<-]*).*", "$1");
            assertThat(runtime).anyMatch(i -> i.keyword().equals("ARG") && i.args().equals("VERSION=" + version));
            assertThat(labels.get("org.opencontainers.image.version")).isEqualTo("${VERSION}");
        }

        @Test
        void theJarCarriesEpollForBothLinuxArchitecturesAndNoQuic() throws Exception {
            ClassLoader loader = getClass().getClassLoader();
            // The image may run on amd64 or arm64 nodes; without its native library Netty falls back to NIO.
            assertThat(loader.getResource("META-INF/native/libnetty_transport_native_epoll_x86_64.so")).isNotNull();
            assertThat(loader.getResource("META-INF/native/libnetty_transport_native_epoll_aarch_64.so")).isNotNull();
            // DERP is HTTP/1.1 over TCP: the HTTP/3 codec and its QUIC natives would only weigh the jar down.
            assertThat(loader.getResource("io/netty/handler/codec/quic/Quic.class")).isNull();
            assertThat(loader.getResource("io/netty/handler/codec/http3/Http3.class")).isNull();
            assertThat(loader.getResources("META-INF/native/").asIterator()).toIterable()
                    .allSatisfy(dir -> assertThat(dir.toString()).doesNotContain("quic"));
        }

        @Test
        void entrypointRunsTheFatJarInExecForm() {
            Instruction entrypoint = instructions.stream().filter(i -> i.keyword().equals("ENTRYPOINT")).findFirst()
                    .orElseThrow(() -> new AssertionError("no ENTRYPOINT"));
            // Exec form: java is PID 1 and gets SIGTERM for the graceful drain.
            assertThat(entrypoint.args()).matches("\\[\\s*\"java\",\\s*\"-jar\",\\s*\"[^\"]*/jderper\\.jar\"\\s*]");
            assertThat(read(ROOT.resolve("pom.xml"))).contains("<finalName>jderper</finalName>");
        }

        @Test
        void buildContextSourcesExistAndAreNotDockerIgnored() {
            List<String> ignored = read(ROOT.resolve(".dockerignore")).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .map(l -> l.replaceAll("/$", "")).toList();
            List<Instruction> build = stages().get(0);
            for (Instruction copy : build.stream().filter(i -> i.keyword().equals("COPY")).toList()) {
                String[] parts = copy.args().split("\\s+");
                for (String source : Arrays.copyOf(parts, parts.length - 1)) {
                    String clean = source.replaceAll("/$", "");
                    assertThat(ROOT.resolve(clean)).as("COPY source %s", source).exists();
                    assertThat(ignored).as(".dockerignore must not exclude %s", source).doesNotContain(clean);
                }
            }
            assertThat(ignored).contains("target", ".git");
        }

        private List<List<Instruction>> stages() {
            List<List<Instruction>> stages = new ArrayList<>();
            for (Instruction i : instructions) {
                if (i.keyword().equals("FROM")) {
                    stages.add(new ArrayList<>());
                }
                if (!stages.isEmpty()) {
                    stages.get(stages.size() - 1).add(i);
                }
            }
            return stages;
        }
    }

    @Nested
    class ComposeChecks {
        final Map<String, Object> compose = YamlTrees.load(ROOT.resolve("docker-compose.yml"));
        final Map<String, Object> services = mapAt(compose, "services");

        @Test
        void defaultServiceIsOneDevNodeReachableFromTheHost() {
            Map<String, Object> node = service("jderper");
            assertThat(node.get("profiles")).as("starts without a profile").isNull();
            Map<String, String> env = environment(node);
            assertThat(env).containsEntry("DERPER_DEV", "true");
            // The dev profile's loopback binding would make the published port useless inside a container.
            assertThat(env.get("DERPER_LISTEN")).startsWith(":");
            assertThat(containerPorts(node)).contains(DerperProperties.DEV_PORT + "/tcp", "3478/udp",
                    packagedManagementPort() + "/tcp");
            Map<String, Object> bound = PropertyCatalog.bindAll(withPackaged(env));
            DerperProperties core = (DerperProperties) bound.get("derper");
            assertThat(core.dev()).isTrue();
            assertThat(core.listenAddress().port()).isEqualTo(DerperProperties.DEV_PORT);
            assertThat(core.listenAddress().allInterfaces()).isTrue();
        }

        @Test
        void meshProfileRunsTwoNodesThatListEachOtherAndShareOneKey() {
            List<String> meshNodes = services.keySet().stream()
                    .filter(name -> profiles(service(name)).contains("mesh"))
                    .filter(name -> environment(service(name)).containsKey("DERPER_MESH_WITH"))
                    .toList();
            assertThat(meshNodes).containsExactly("derp-1", "derp-2");
            String sharedKeyVolume = null;
            for (String name : meshNodes) {
                Map<String, Object> node = service(name);
                Map<String, String> env = environment(node);
                assertThat(env).doesNotContainKey("DERPER_DEV");
                MeshProperties mesh = (MeshProperties) PropertyCatalog.bindAll(withPackaged(env)).get("derper.mesh");
                assertThat(mesh.with()).as("%s lists both nodes", name)
                        .anyMatch(e -> e.startsWith("derp-1:")).anyMatch(e -> e.startsWith("derp-2:"));
                assertThat(mesh.tls()).as("plain-HTTP nodes need plain-HTTP mesh links").isFalse();
                String keyFile = mesh.keyFile().toString();
                String volume = volumeMountedAbove(node, keyFile);
                assertThat(volume).as("%s mounts the directory of %s", name, keyFile).isNotNull();
                if (sharedKeyVolume == null) {
                    sharedKeyVolume = volume;
                }
                assertThat(volume).isEqualTo(sharedKeyVolume);
                assertThat(mapAt(node, "depends_on")).containsKey("mesh-key");
            }
            String keyVolume = sharedKeyVolume;
            Map<String, Object> init = service("mesh-key");
            assertThat(profiles(init)).containsExactly("mesh");
            assertThat(list(init.get("volumes"))).anyMatch(v -> String.valueOf(v).startsWith(keyVolume + ":"));
            assertThat(mapAt(compose, "volumes")).containsKey(keyVolume);
        }

        @Test
        void everyNodeHasAReadinessHealthCheckAndHardening() {
            for (String name : List.of("jderper", "derp-1", "derp-2")) {
                Map<String, Object> node = service(name);
                String test = String.join(" ", list(at(node, "healthcheck.test")).stream().map(String::valueOf).toList());
                assertThat(test).as(name).contains("/actuator/health/readiness").contains(":" + packagedManagementPort() + "/");
                assertThat(String.valueOf(node.get("user"))).as(name).matches("[1-9][0-9]*:[1-9][0-9]*");
                assertThat(node.get("read_only")).isEqualTo(true);
                assertThat(list(node.get("cap_drop"))).containsExactly("ALL");
                assertThat(list(node.get("tmpfs"))).contains("/tmp");
            }
        }

        @Test
        void nodesAreGivenTimeToDrainBeforeDockerKillsThem() {
            for (String name : List.of("jderper", "derp-1", "derp-2")) {
                Map<String, Object> node = service(name);
                Object grace = node.get("stop_grace_period");
                assertThat(grace).as("%s: stop_grace_period", name).isNotNull();
                java.time.Duration stop = org.springframework.boot.convert.DurationStyle.detectAndParse(String.valueOf(grace));
                io.jderper.config.RelayProperties relay = (io.jderper.config.RelayProperties)
                        PropertyCatalog.bindAll(withPackaged(environment(node))).get("derper.relay");
                java.time.Duration drain = relay.readinessGrace().plus(relay.drainPeriod());
                // The same slack as the chart's: the drain phase may overrun, and the rest needs time too.
                assertThat(stop).as("%s: stop_grace_period against readiness-grace + drain-period", name)
                        .isGreaterThanOrEqualTo(drain.plusSeconds(10));
            }
        }

        @Test
        void hostPortsDoNotCollideAcrossServices() {
            List<String> hostPorts = new ArrayList<>();
            services.values().forEach(s -> {
                Object ports = map(s).get("ports");
                if (ports != null) {
                    list(ports).forEach(p -> hostPorts.add(hostPort(String.valueOf(p))));
                }
            });
            assertThat(hostPorts).doesNotHaveDuplicates();
        }

        @Test
        void environmentVariableNamesAreRealProperties() {
            services.forEach((name, s) -> environment(map(s)).keySet().stream()
                    .filter(k -> k.startsWith("DERPER_"))
                    .forEach(k -> assertThat(PropertyCatalog.propertyForEnvironmentVariable(k))
                            .as("%s: %s", name, k).isNotNull()));
        }

        private Map<String, Object> service(String name) {
            return map(services.get(name));
        }

        private static List<String> profiles(Map<String, Object> service) {
            Object p = service.get("profiles");
            return p == null ? List.of() : list(p).stream().map(String::valueOf).toList();
        }

        private static Map<String, String> environment(Map<String, Object> service) {
            return environmentOf(service);
        }

        /** "host:hostPort:containerPort/proto" → "containerPort/proto" (tcp when absent). */
        private static List<String> containerPorts(Map<String, Object> service) {
            return list(service.get("ports")).stream().map(String::valueOf).map(p -> {
                String proto = p.contains("/") ? p.substring(p.indexOf('/') + 1) : "tcp";
                String ports = p.contains("/") ? p.substring(0, p.indexOf('/')) : p;
                return ports.substring(ports.lastIndexOf(':') + 1) + "/" + proto.toLowerCase(Locale.ROOT);
            }).toList();
        }

        private static String hostPort(String mapping) {
            String proto = mapping.contains("/") ? mapping.substring(mapping.indexOf('/')) : "/tcp";
            String withoutProto = mapping.contains("/") ? mapping.substring(0, mapping.indexOf('/')) : mapping;
            String hostSide = withoutProto.substring(0, withoutProto.lastIndexOf(':'));
            return hostSide.substring(hostSide.lastIndexOf(':') + 1) + proto;
        }

        /** Named volume whose mount point contains {@code path}, or null. */
        private static String volumeMountedAbove(Map<String, Object> service, String path) {
            for (Object v : list(service.get("volumes"))) {
                String[] parts = String.valueOf(v).split(":");
                if (parts.length >= 2 && path.startsWith(parts[1] + "/")) {
                    return parts[0];
                }
            }
            return null;
        }
    }

    static List<PropertySource<?>> withPackaged(Map<String, String> env) {
        List<PropertySource<?>> sources = new ArrayList<>();
        sources.add(new SystemEnvironmentPropertySource("systemEnvironment", new LinkedHashMap<>(env)));
        sources.addAll(ChartPropertiesTest.packagedApplicationYaml());
        return sources;
    }

    /** LABEL key="value" pairs of a Dockerfile (keys may contain dots and dashes). */
    static Map<String, String> labels(List<Instruction> instructions) {
        Map<String, String> out = new LinkedHashMap<>();
        Pattern pair = Pattern.compile("([A-Za-z0-9._-]+)=(\"[^\"]*\"|\\S*)");
        instructions.stream().filter(i -> i.keyword().equals("LABEL")).forEach(i -> {
            Matcher m = pair.matcher(i.args());
            while (m.find()) {
                String v = m.group(2);
                out.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
            }
        });
        return out;
    }

    /** A compose service's environment, from either the map or the list form. */
    static Map<String, String> environmentOf(Map<String, Object> service) {
        Map<String, String> out = new LinkedHashMap<>();
        Object env = service.get("environment");
        if (env instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (env instanceof List<?> l) {
            l.forEach(e -> {
                String[] kv = String.valueOf(e).split("=", 2);
                out.put(kv[0], kv.length > 1 ? kv[1] : "");
            });
        }
        return out;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One Dockerfile instruction with continuation lines joined and comments dropped. */
    record Instruction(String keyword, String args) {

        static List<Instruction> parse(String dockerfile) {
            List<Instruction> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String raw : dockerfile.lines().toList()) {
                String line = raw.strip();
                if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
                    continue;
                }
                if (line.endsWith("\\")) {
                    current.append(line, 0, line.length() - 1).append(' ');
                    continue;
                }
                current.append(line);
                String text = current.toString().strip();
                current.setLength(0);
                if (text.isEmpty()) {
                    continue;
                }
                int space = text.indexOf(' ');
                out.add(new Instruction(text.substring(0, space < 0 ? text.length() : space).toUpperCase(Locale.ROOT),
                        space < 0 ? "" : text.substring(space + 1).strip().replaceAll("\\s+", " ")));
            }
            return out;
        }

        private static final Pattern ENV_PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");

        static Map<String, String> envPairs(String args) {
            Map<String, String> out = new LinkedHashMap<>();
            Matcher m = ENV_PAIR.matcher(args);
            while (m.find()) {
                String v = m.group(2);
                out.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
            }
            return out;
        }
    }
}
