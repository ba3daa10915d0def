package io.jderper.deploy;

import io.jderper.config.MeshProperties;
import io.jderper.config.StunProperties;
import io.jderper.probe.ProbeCommand;
import io.jderper.probe.ProbeSettings;
import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.map;
import static io.jderper.deploy.YamlTrees.mapAt;
import static org.assertj.core.api.Assertions.assertThat;

/** docker-compose.yml's {@code probe} profile: the prober probing the {@code mesh} profile's two nodes. */
class ProberComposeTest {
    final Map<String, Object> services = mapAt(YamlTrees.load(Path.of("docker-compose.yml")), "services");
    final Map<String, Object> prober = map(services.get("prober"));

    @TempDir
    Path work;

    @Test
    void runsTheProberModeOfTheImageInItsOwnProfile() throws Exception {
        assertThat(list(prober.get("profiles"))).containsExactly("probe");
        List<String> command = list(prober.get("command")).stream().map(String::valueOf).toList();
        assertThat(command.get(0)).isEqualTo("probe");
        List<String> flags = new ArrayList<>(command.subList(1, command.size()));
        String keyFile = flags.get(flags.indexOf("-mesh-psk-file") + 1);
        Path localKey = Files.writeString(work.resolve("mesh.key"), DerpServerTestBase.MESH_KEY_HEX);
        flags.replaceAll(f -> f.equals(keyFile) ? localKey.toString() : f);
        ProbeSettings settings = ProbeCommand.parseSettings(flags.toArray(String[]::new), k -> null);
        assertThat(settings.derpMap()).isEqualTo("local");
        assertThat(settings.listen()).isEqualTo(":8030");
        assertThat(settings.meshKey()).isPresent();
        // The key is the one the nodes share.
        String keyVolume = String.valueOf(list(prober.get("volumes")).get(0)).split(":")[0];
        assertThat(list(map(services.get("derp-1")).get("volumes"))).anyMatch(v -> String.valueOf(v).startsWith(keyVolume + ":"));
        assertThat(keyFile).startsWith("/etc/jderper/mesh/");
    }

    @Test
    void itsRegionIsTheMeshProfilesNodesAsTheyServe() {
        // Without Spring the prober binds derper.* from its environment alone (no packaged application.yml).
        Map<String, Object> bound = PropertyCatalog.bindAll(List.of(new SystemEnvironmentPropertySource("env",
                new LinkedHashMap<>(ContainerFilesTest.environmentOf(prober)))));
        MeshProperties mesh = (MeshProperties) bound.get("derper.mesh");
        assertThat(mesh.with()).containsExactly("derp-1:3340", "derp-2:3340");
        for (String node : List.of("derp-1", "derp-2")) {
            Map<String, String> env = ContainerFilesTest.environmentOf(map(services.get(node)));
            assertThat(env.get("DERPER_LISTEN")).isEqualTo(":3340");
            assertThat(env.get("DERPER_MESH_TLS")).as("plain HTTP, as the nodes").isEqualTo(String.valueOf(mesh.tls()));
            assertThat(list(map(services.get(node)).get("ports"))).anyMatch(p -> String.valueOf(p).endsWith(":3478/udp"));
        }
        assertThat(((StunProperties) bound.get("derper.stun")).port()).as("the nodes' STUN port inside the network").isEqualTo(3478);
    }

    @Test
    void hardenedAndHealthChecked() {
        assertThat(String.valueOf(prober.get("user"))).matches("[1-9][0-9]*:[1-9][0-9]*");
        assertThat(prober.get("read_only")).isEqualTo(true);
        assertThat(list(prober.get("cap_drop"))).containsExactly("ALL");
        assertThat(list(prober.get("tmpfs"))).contains("/tmp");
        assertThat(String.join(" ", list(at(prober, "healthcheck.test")).stream().map(String::valueOf).toList()))
                .contains("http://127.0.0.1:8030/healthz");
        assertThat(list(prober.get("ports"))).containsExactly("127.0.0.1:8030:8030/tcp");
    }
}
