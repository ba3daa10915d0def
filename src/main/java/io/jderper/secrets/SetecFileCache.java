package io.jderper.secrets;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * setec's file cache, byte-compatible in both directions so that a node can move between the original and jderper:
 * one JSON object mapping each secret name to {@code {"secret":{"Value":"<base64>","Version":n},"lastAccess":"<unix s>"}}
 * (plus {@code "versions"} for secrets tracked by version, kept as found). Written atomically with mode 0600; entries
 * for other secrets are kept as they were. Like setec's store, a file with an entry that has no value is discarded as a
 * whole.
 */
final class SetecFileCache {
    private final Path file;

    private SetecFileCache(Path file) {
        this.file = file;
    }

    /**
     * Checks the path as setec's {@code NewFileCache} does: its directory is created (0700) and the path, if it
     * exists, must be a regular file (not a directory, not a symbolic link).
     */
    static SetecFileCache open(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            } catch (UnsupportedOperationException nonPosix) {
                // The platform's default protection applies.
            }
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file + " exists and is not a regular file (it is the cache file itself, not a directory)");
        }
        return new SetecFileCache(file);
    }

    Path file() {
        return file;
    }

    /** What the cache holds for one secret. */
    record Entry(SecretValue secret, long lastAccessSeconds) {
    }

    /**
     * The cached value of {@code name}: empty when the file is absent or holds no entry for it.
     *
     * @throws IOException when the file cannot be read or is not a valid cache (the caller treats it as empty)
     */
    Optional<Entry> read(String name) throws IOException {
        Map<String, JsonNode> all = readAll();
        JsonNode entry = all.get(name);
        return entry == null ? Optional.empty() : Optional.of(entry(entry, name));
    }

    /** Stores {@code value} for {@code name}, keeping every other entry. */
    void write(String name, SecretValue value, Instant lastAccess) throws IOException {
        Map<String, JsonNode> all;
        try {
            all = readAll();
        } catch (IOException unreadable) {
            // An unusable cache is replaced, as setec's store replaces one it could not decode.
            all = new TreeMap<>();
        }
        ObjectNode entry = SetecJson.JSON.createObjectNode();
        entry.set("secret", SetecJson.secretValueNode(value));
        JsonNode old = all.get(name);
        JsonNode versions = old == null ? null : SetecJson.member(old, "versions");
        if (versions != null && !versions.isNull() && !versions.isEmpty()) {
            entry.set("versions", versions);
        }
        entry.put("lastAccess", Long.toString(lastAccess.getEpochSecond()));
        all.put(name, entry);
        ObjectNode root = SetecJson.JSON.createObjectNode();
        all.forEach(root::set); // a TreeMap: sorted, as Go marshals maps
        writeAtomically(SetecJson.JSON.writeValueAsBytes(root));
    }

    private Map<String, JsonNode> readAll() throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new TreeMap<>();
        }
        Map<String, JsonNode> out = new TreeMap<>();
        if (data.length == 0) {
            return out; // setec treats an empty cache as no cache
        }
        JsonNode root;
        try {
            root = SetecJson.JSON.readTree(data);
        } catch (JacksonException e) {
            throw new IOException("cache " + file + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isNull()) {
            return out;
        }
        if (!root.isObject()) {
            throw new IOException("cache " + file + " is not a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            // setec's store rejects the whole cache when any entry has no value.
            entry(e.getValue(), e.getKey());
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private Entry entry(JsonNode node, String name) throws IOException {
        if (name.isEmpty() || node == null || !node.isObject()) {
            throw new IOException("cache " + file + ": entry \"" + name + "\" is not an object");
        }
        JsonNode secret = SetecJson.member(node, "secret");
        if (secret == null || !secret.isObject()) {
            throw new IOException("cache " + file + ": entry \"" + name + "\" has no secret value");
        }
        SecretValue value;
        try {
            value = SetecJson.secretValue(secret, "cache entry \"" + name + "\"");
        } catch (SetecException e) {
            throw new IOException("cache " + file + ": " + e.getMessage());
        }
        long lastAccess = 0;
        JsonNode la = SetecJson.member(node, "lastAccess");
        if (la != null && !la.isNull()) {
            // Go writes it as a quoted number (the ",string" option).
            String text = la.asString();
            try {
                lastAccess = Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw new IOException("cache " + file + ": entry \"" + name + "\" has a lastAccess that is not a number");
            }
        }
        return new Entry(value, lastAccess);
    }

    private void writeAtomically(byte[] body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException nonPosix) {
                // The platform's default protection applies.
            }
            Files.write(tmp, body);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
