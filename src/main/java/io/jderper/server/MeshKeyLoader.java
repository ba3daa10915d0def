package io.jderper.server;

import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.key.MeshKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the region's mesh key the way the original does: in dev mode only from {@code TAILSCALE_DERPER_MESH_KEY};
 * otherwise {@code derper.mesh.key}, else {@code derper.mesh.key-file}, else the first existing of the original's
 * default file locations. A key that is present but not 64 hex digits fails startup.
 */
public final class MeshKeyLoader {
    private MeshKeyLoader() {
    }

    public static Optional<MeshKey> load(DerperProperties core, MeshProperties mesh, java.util.function.Function<String, String> env) {
        if (core.dev()) {
            String v = env.apply("TAILSCALE_DERPER_MESH_KEY");
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(parse(v, "TAILSCALE_DERPER_MESH_KEY"));
        }
        if (!mesh.key().isBlank()) {
            return Optional.of(parse(mesh.key(), "derper.mesh.key"));
        }
        Path file = mesh.keyFile();
        if (file == null) {
            file = defaultKeyFile(env);
        }
        if (file == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(Files.readString(file), "derper.mesh.key-file (" + file + ")"));
        } catch (IOException e) {
            throw new IllegalStateException("derper.mesh.key-file: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path defaultKeyFile(java.util.function.Function<String, String> env) {
        Path system = Path.of("/home/derp/keys/derp-mesh.key");
        if (Files.exists(system)) {
            return system;
        }
        String home = env.apply("HOME");
        if (home != null) {
            Path user = Path.of(home, "keys", "derp-mesh.key");
            if (Files.exists(user)) {
                return user;
            }
        }
        return null;
    }

    private static MeshKey parse(String text, String source) {
        try {
            return MeshKey.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(source + ": " + e.getMessage(), e);
        }
    }
}
