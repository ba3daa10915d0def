package io.jderper.key;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerKeyFileTest {
    @Test
    void c90_createdWithOriginalShapeAndModeThenReused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("nested/dir/derper.key");
        NodePrivateKey created = ServerKeyFile.loadOrCreate(file);
        String text = Files.readString(file);
        assertThat(text).matches("\\{\\n\\t\"PrivateKey\": \"privkey:[0-9a-f]{64}\"\\n}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        long modified = Files.getLastModifiedTime(file).toMillis();
        assertThat(ServerKeyFile.loadOrCreate(file)).isEqualTo(created);
        assertThat(Files.readString(file)).isEqualTo(text);
        assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(modified);
    }

    @Test
    void c91_upperCaseKeyCaseInsensitiveNameAndBadFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("k.json");
        Files.writeString(file, "{\"privatekey\": \"privkey:0002030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F60\", \"Other\": 1}");
        assertThat(ServerKeyFile.loadOrCreate(file).publicKey().toHex())
                .isEqualTo("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c");
        Files.writeString(file, "not json");
        assertThatThrownBy(() -> ServerKeyFile.loadOrCreate(file)).hasMessageContaining("not valid JSON");
        Files.writeString(file, "{}");
        assertThatThrownBy(() -> ServerKeyFile.loadOrCreate(file)).hasMessageContaining("PrivateKey");
        Files.writeString(file, "{\"PrivateKey\": \"nodekey:00\"}");
        assertThatThrownBy(() -> ServerKeyFile.loadOrCreate(file)).hasMessageContaining("privkey:");
    }
}
