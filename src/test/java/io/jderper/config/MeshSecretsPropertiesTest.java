package io.jderper.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** derper.mesh.secrets.*: the original's three flags, its defaults, and settings that stop startup. */
class MeshSecretsPropertiesTest {

    static MeshSecretsProperties props(String url, String prefix, Duration poll, Duration grace) {
        return new MeshSecretsProperties(url, prefix, null, poll, Duration.ofSeconds(10), Duration.ofSeconds(60), grace,
                Duration.ofHours(6));
    }

    @Test
    void theOriginalsFlagsMapOntoTheGroup() {
        var t = DerperFlags.translate(new String[]{"-secrets-url", "https://setec.example.ts.net",
                "-secrets-path-prefix=staging/derp", "-secrets-cache-dir", "/var/cache/derper-secrets"});
        assertThat(t.springArgs()).containsExactly("--derper.mesh.secrets.url=https://setec.example.ts.net",
                "--derper.mesh.secrets.path-prefix=staging/derp", "--derper.mesh.secrets.cache-dir=/var/cache/derper-secrets");
        assertThat(t.warnings()).isEmpty();
    }

    @Test
    void theSecretNameIsJoinedLikeGoPathJoin() {
        assertThat(props("", "prod/derp", Duration.ofHours(1), Duration.ZERO).secretName()).isEqualTo("prod/derp/meshkey");
        assertThat(props("", "prod/derp/", Duration.ofHours(1), Duration.ZERO).secretName()).isEqualTo("prod/derp/meshkey");
        assertThat(props("", "", Duration.ofHours(1), Duration.ZERO).secretName()).isEqualTo("meshkey");
        assertThat(props("", "a//b/./c/..", Duration.ofHours(1), Duration.ZERO).secretName()).isEqualTo("a/b/meshkey");
        assertThat(props("", "/x", Duration.ofHours(1), Duration.ZERO).secretName()).isEqualTo("/x/meshkey");
    }

    @Test
    void theCacheIsAFileUnderHomeByDefault() {
        MeshSecretsProperties p = props("https://setec", "prod/derp", Duration.ofHours(1), Duration.ZERO);
        assertThat(p.cacheFile("/home/derp")).isEqualTo(Path.of("/home/derp/.cache/derper-secrets"));
        MeshSecretsProperties set = new MeshSecretsProperties("https://setec", "prod/derp", Path.of("/tmp/c"),
                Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ZERO, Duration.ofHours(6));
        assertThat(set.cacheFile("/home/derp")).isEqualTo(Path.of("/tmp/c"));
        assertThat(set.enabled()).isTrue();
        assertThat(props("", "prod/derp", Duration.ofHours(1), Duration.ZERO).enabled()).isFalse();
    }

    @Test
    void badSettingsNameTheirProperty() {
        Duration h = Duration.ofHours(1);
        assertThatThrownBy(() -> props("ftp://setec", "p", h, h)).hasMessageContaining("derper.mesh.secrets.url")
                .hasMessageContaining("http or https");
        assertThatThrownBy(() -> props("setec.example.com", "p", h, h)).hasMessageContaining("derper.mesh.secrets.url");
        assertThatThrownBy(() -> props("https://", "p", h, h)).hasMessageContaining("derper.mesh.secrets.url");
        assertThatThrownBy(() -> props("https://setec/?a=b", "p", h, h)).hasMessageContaining("query");
        assertThatThrownBy(() -> props("https://se tec", "p", h, h)).hasMessageContaining("not a URL");
        assertThatThrownBy(() -> props("https://setec", "p", Duration.ZERO, h)).hasMessageContaining("derper.mesh.secrets.poll-interval");
        assertThatThrownBy(() -> props("https://setec", "p", h, Duration.ofSeconds(-1)))
                .hasMessageContaining("derper.mesh.secrets.previous-key-grace");
        assertThat(props("HTTPS://setec.example.ts.net/base/", "p", h, h).serverUri().getHost()).isEqualTo("setec.example.ts.net");
    }
}
