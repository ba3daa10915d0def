package io.jderper.key;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server's key file, in the original's {@code -c} JSON shape: {@code {\n\t"PrivateKey": "privkey:…"\n}}.
 * Created (mode 0600, atomically) when absent; an existing file is read and never rewritten.
 */
public final class ServerKeyFile {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ServerKeyFile() {
    }

    public static NodePrivateKey loadOrCreate(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            NodePrivateKey key = NodePrivateKey.generate();
            write(file, key);
            return key;
        }
        return parse(text, file);
    }

    static NodePrivateKey parse(String text, Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalStateException("key file " + file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalStateException("key file " + file + " is not a JSON object");
        }
        // The original reads with Go's encoding/json: the key name matches case-insensitively, other keys are ignored.
        String value = null;
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equalsIgnoreCase("PrivateKey") && e.getValue().isString()) {
                value = e.getValue().asString();
            }
        }
        if (value == null) {
            throw new IllegalStateException("key file " + file + " has no \"PrivateKey\" string");
        }
        try {
            return NodePrivateKey.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("key file " + file + ": " + e.getMessage(), e);
        }
    }

    static void write(Path file, NodePrivateKey key) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String body = "{\n\t\"PrivateKey\": \"" + key.toText() + "\"\n}";
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException nonPosixFileSystem) {
                // No POSIX permissions here (e.g. Windows): the file keeps the platform's default protection.
            }
            Files.writeString(tmp, body, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
