package io.jderper.secrets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cache file in setec's format. The literals are what setec's store writes ({@code json.Marshal} of its map of
 * cached secrets: sorted names, fields secret/versions/lastAccess, lastAccess as a quoted number).
 */
class SetecFileCacheTest {
    static final String KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static final String KEY_B64 = java.util.Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8));
    static final String GO_WRITTEN = "{\"prod/derp/meshkey\":{\"secret\":{\"Value\":\"" + KEY_B64 + "\",\"Version\":3},"
            + "\"lastAccess\":\"1733150000\"}}";

    @TempDir
    Path dir;

    @Test
    void readsWhatSetecWrites() throws IOException {
        Path file = dir.resolve("derper-secrets");
        Files.writeString(file, GO_WRITTEN);
        SetecFileCache.Entry e = SetecFileCache.open(file).read("prod/derp/meshkey").orElseThrow();
        assertThat(e.secret().text()).isEqualTo(KEY);
        assertThat(e.secret().version()).isEqualTo(3);
        assertThat(e.lastAccessSeconds()).isEqualTo(1733150000L);
        assertThat(SetecFileCache.open(file).read("other")).isEmpty();
    }

    @Test
    void writesWhatSetecReadsByteForByte() throws IOException {
        Path file = dir.resolve("sub").resolve("derper-secrets");
        SetecFileCache cache = SetecFileCache.open(file);
        cache.write("prod/derp/meshkey", new SecretValue(KEY.getBytes(StandardCharsets.UTF_8), 3), Instant.ofEpochSecond(1733150000L));
        assertThat(Files.readString(file)).isEqualTo(GO_WRITTEN);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(Files.list(file.getParent())).as("no temporary file left behind").hasSize(1);
    }

    @Test
    void otherSecretsAndVersionMapsAreKept() throws IOException {
        Path file = dir.resolve("derper-secrets");
        Files.writeString(file, "{\"a/other\":{\"secret\":{\"Value\":\"eA==\",\"Version\":1},\"lastAccess\":\"5\"},"
                + "\"prod/derp/meshkey\":{\"secret\":{\"Value\":\"eQ==\",\"Version\":1},\"versions\":{\"1\":\"eQ==\"},\"lastAccess\":\"6\"}}");
        SetecFileCache.open(file).write("prod/derp/meshkey", new SecretValue("z".getBytes(StandardCharsets.UTF_8), 2), Instant.ofEpochSecond(9));
        assertThat(Files.readString(file)).isEqualTo("{\"a/other\":{\"secret\":{\"Value\":\"eA==\",\"Version\":1},\"lastAccess\":\"5\"},"
                + "\"prod/derp/meshkey\":{\"secret\":{\"Value\":\"eg==\",\"Version\":2},\"versions\":{\"1\":\"eQ==\"},\"lastAccess\":\"9\"}}");
    }

    @Test
    void aCacheSetecWouldDiscardIsRefusedWithTheReason() throws IOException {
        Path file = dir.resolve("derper-secrets");
        SetecFileCache cache = SetecFileCache.open(file);
        assertThat(cache.read("prod/derp/meshkey")).as("absent file").isEmpty();
        Files.writeString(file, "");
        assertThat(cache.read("prod/derp/meshkey")).as("empty file").isEmpty();
        Files.writeString(file, "{not json");
        assertThatThrownBy(() -> cache.read("prod/derp/meshkey")).hasMessageContaining("not JSON");
        // setec's store drops the whole cache when any entry lacks its value.
        Files.writeString(file, "{\"x\":{\"secret\":null},\"prod/derp/meshkey\":{\"secret\":{\"Value\":\"eQ==\",\"Version\":1}}}");
        assertThatThrownBy(() -> cache.read("prod/derp/meshkey")).hasMessageContaining("\"x\" has no secret value");
        Files.writeString(file, "{\"prod/derp/meshkey\":{\"secret\":{\"Value\":\"eQ==\",\"Version\":1},\"lastAccess\":\"soon\"}}");
        assertThatThrownBy(() -> cache.read("prod/derp/meshkey")).hasMessageContaining("lastAccess");
        // A cache it cannot read is replaced on the next write.
        cache.write("prod/derp/meshkey", new SecretValue(new byte[]{'y'}, 1), Instant.ofEpochSecond(1));
        assertThat(cache.read("prod/derp/meshkey").orElseThrow().secret().text()).isEqualTo("y");
    }

    @Test
    void thePathMustBeAFileAsSetecRequires() throws IOException {
        Path asDir = Files.createDirectory(dir.resolve("derper-secrets"));
        assertThatThrownBy(() -> SetecFileCache.open(asDir)).hasMessageContaining("not a regular file");
        Path target = Files.writeString(dir.resolve("real"), GO_WRITTEN);
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        assertThatThrownBy(() -> SetecFileCache.open(link)).hasMessageContaining("not a regular file");
    }
}
