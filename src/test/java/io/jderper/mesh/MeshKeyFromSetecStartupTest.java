package io.jderper.mesh;

import io.jderper.secrets.FakeSetec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A whole node starting with derper.mesh.secrets.url: from the cache while setec is down, or not at all. */
class MeshKeyFromSetecStartupTest {
    static final String KEY = "c3".repeat(32);
    final List<MeshNode> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() {
        nodes.forEach(MeshNode::stop);
    }

    static Path cacheFile(String content) throws Exception {
        Path file = Files.createTempDirectory("jderper-setec").resolve("derper-secrets");
        if (content != null) {
            Files.writeString(file, content);
        }
        return file;
    }

    static String goCache(String name, String value, int version) {
        String b64 = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
        return "{\"" + name + "\":{\"secret\":{\"Value\":\"" + b64 + "\",\"Version\":" + version + "},\"lastAccess\":\"1733150000\"}}";
    }

    /** The messages of the whole cause chain: Spring wraps the configuration's own message. */
    static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            b.append(c.getMessage()).append('\n');
        }
        return b.toString();
    }

    @Test
    void startsFromTheCacheWhileSetecIsDownAndSaysSo() throws Exception {
        Path cache = cacheFile(goCache("staging/derp/meshkey", KEY + "\n", 3));
        MeshNode n = MeshNode.start("127.0.0.1", "127.0.0.1", 0, List.of(
                "--derper.mesh.secrets.url=" + FakeSetec.closedPort(), "--derper.mesh.secrets.path-prefix=staging/derp",
                "--derper.mesh.secrets.cache-dir=" + cache, "--derper.mesh.secrets.request-timeout=2s"));
        nodes.add(n);
        assertThat(n.server().meshKey()).hasValueSatisfying(k -> assertThat(k.toHex()).isEqualTo(KEY));

        HttpResponse<String> health = n.management("/actuator/health");
        assertThat(health.body()).contains("\"meshSecret\":{").contains("\"source\":\"cache\"").contains("\"version\":3")
                .contains("\"secret\":\"staging/derp/meshkey\"").contains("cannot reach");
        HttpResponse<String> ready = n.management("/actuator/health/readiness");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).doesNotContain("meshSecret");
        String metrics = n.management("/actuator/prometheus").body();
        assertThat(metrics).contains("derper_mesh_secret_version 3.0")
                .contains("derper_mesh_secret_fetches_total{result=\"unreachable\"} 1.0")
                .contains("derper_mesh_secret_refresh_age_seconds");
    }

    @Test
    void withoutServerOrCacheStartupFailsNamingTheProperties() throws Exception {
        Path cache = cacheFile(null);
        List<String> args = List.of("--derper.mesh.secrets.url=" + FakeSetec.closedPort(),
                "--derper.mesh.secrets.cache-dir=" + cache, "--derper.mesh.secrets.startup-timeout=1s");
        assertThatThrownBy(() -> nodes.add(MeshNode.start("127.0.0.1", "127.0.0.1", 0, args)))
                .satisfies(e -> assertThat(messages(e)).contains("derper.mesh.secrets.url")
                        .contains("prod/derp/meshkey").contains("cannot reach").contains("derper.mesh.secrets.cache-dir"));
    }

    @Test
    void aCachePathThatIsADirectoryOrAFixedKeyAsWellStopStartup() throws Exception {
        Path dir = Files.createTempDirectory("jderper-setec");
        try (FakeSetec setec = new FakeSetec()) {
            setec.activate("prod/derp/meshkey", 1, KEY);
            assertThatThrownBy(() -> nodes.add(MeshNode.start("127.0.0.1", "127.0.0.1", 0, List.of(
                    "--derper.mesh.secrets.url=" + setec.url(), "--derper.mesh.secrets.cache-dir=" + dir))))
                    .satisfies(e -> assertThat(messages(e)).contains("derper.mesh.secrets.cache-dir")
                            .contains("not a regular file"));
            assertThatThrownBy(() -> nodes.add(MeshNode.start("127.0.0.1", "127.0.0.1", 0, List.of(
                    "--derper.mesh.secrets.url=" + setec.url(), "--derper.mesh.secrets.cache-dir=" + dir.resolve("c"),
                    "--derper.mesh.key=" + KEY))))
                    .satisfies(e -> assertThat(messages(e)).contains("derper.mesh.key")
                            .contains("derper.mesh.secrets.url"));
            // A key file as well is ignored, as by the original: the secrets server wins.
            Path keyFile = Files.writeString(dir.resolve("derp-mesh.key"), "d4".repeat(32));
            MeshNode n = MeshNode.start("127.0.0.1", "127.0.0.1", 0, List.of("--derper.mesh.secrets.url=" + setec.url(),
                    "--derper.mesh.secrets.cache-dir=" + dir.resolve("c"), "--derper.mesh.key-file=" + keyFile));
            nodes.add(n);
            assertThat(n.server().meshKey()).hasValueSatisfying(k -> assertThat(k.toHex()).isEqualTo(KEY));
            assertThat(Files.readString(dir.resolve("c"))).as("cached for the next start")
                    .isEqualTo(goCache("prod/derp/meshkey", KEY, 1).replace("1733150000", readLastAccess(dir.resolve("c"))));
        }
    }

    private static String readLastAccess(Path cache) throws Exception {
        String s = Files.readString(cache);
        int i = s.indexOf("\"lastAccess\":\"") + 14;
        return s.substring(i, s.indexOf('"', i));
    }
}
