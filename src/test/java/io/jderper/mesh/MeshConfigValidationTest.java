package io.jderper.mesh;

import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.key.MeshKey;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad mesh settings stop startup with a message naming the property (C-57 covers the original's two cases). */
class MeshConfigValidationTest {
    static final DerperProperties CORE = new DerperProperties(false, ":443", "derp1.example.com", null, "");
    static final Optional<MeshKey> KEY = Optional.of(MeshKey.parse(MeshNode.MESH_KEY));

    static RegionMesh mesh(MeshProperties p) {
        return new RegionMesh(p, CORE, null, KEY, new MeshMetrics(), null, () -> 443);
    }

    static MeshProperties props(List<String> with, String discovery, String dnsName, Duration refresh, int dialPort, Path ca) {
        return new MeshProperties("", null, with, discovery, dnsName, refresh, "", dialPort, true, ca,
                java.time.Duration.ofSeconds(5), MeshProperties.ReadinessRequirement.OFF);
    }

    @Test
    void c57_anEntryWithTwoSlashesIsRefused() {
        assertThatThrownBy(() -> props(List.of("a/b/c"), "static", "", Duration.ofSeconds(30), 443, null))
                .hasMessageContaining("derper.mesh.with");
    }

    @Test
    void badPortsAndFilesNameTheirProperty() {
        assertThatThrownBy(() -> mesh(props(List.of("derp2.example.com:99999"), "static", "", Duration.ofSeconds(30), 443, null)))
                .hasMessageContaining("derper.mesh.with").hasMessageContaining("99999");
        assertThatThrownBy(() -> mesh(props(List.of(), "static", "", Duration.ofSeconds(30), 70000, null)))
                .hasMessageContaining("derper.mesh.dial-port");
        assertThatThrownBy(() -> mesh(props(List.of("derp2.example.com"), "static", "", Duration.ofSeconds(30), 443,
                Path.of("/nonexistent/ca.pem")))).hasMessageContaining("derper.mesh.ca-file");
        assertThatThrownBy(() -> mesh(props(List.of(), "dns", "derp.svc", Duration.ZERO, 443, null)))
                .hasMessageContaining("derper.mesh.dns-refresh");
    }

    @Test
    void noSiblingsMeansNoMesh() {
        RegionMesh m = mesh(props(List.of(), "static", "", Duration.ofSeconds(30), 443, null));
        assertThat(m.enabled()).isFalse();
        assertThat(new MeshHealthIndicator(m).health().getDetails()).containsEntry("enabled", false);
    }
}
