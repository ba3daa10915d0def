package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The mesh key from a setec secrets server ({@code derper.mesh.secrets.*}); active when {@code url} is set (and not
 * in dev mode, where the original reads the key only from the environment).
 *
 * @param url              {@code -secrets-url}: the setec server, http or https
 * @param pathPrefix       {@code -secrets-path-prefix}: the secret read is {@code <prefix>/meshkey}
 * @param cacheDir         {@code -secrets-cache-dir}: despite the flag's name, the original uses this path as the cache
 *                         <em>file</em> (setec's file cache); unset = {@code $HOME/.cache/derper-secrets}
 * @param pollInterval     how often the active version is checked (setec's store polls hourly, ±10 % jitter)
 * @param requestTimeout   bound on one request to the server
 * @param startupTimeout   how long startup keeps retrying when the server is unreachable and no cached key exists
 * @param previousKeyGrace how long incoming mesh handshakes still accept the key a rotation replaced; up links keep
 *                         their connection that long before they re-dial with the new key (0 = neither)
 * @param staleAfter       without a successful check for this long the {@code meshSecret} health component reports
 *                         STALE (it never takes the node out of readiness)
 */
@ConfigurationProperties("derper.mesh.secrets")
public record MeshSecretsProperties(
        @DefaultValue("") String url,
        @DefaultValue("prod/derp") String pathPrefix,
        Path cacheDir,
        @DefaultValue("1h") Duration pollInterval,
        @DefaultValue("10s") Duration requestTimeout,
        @DefaultValue("60s") Duration startupTimeout,
        @DefaultValue("2h") Duration previousKeyGrace,
        @DefaultValue("6h") Duration staleAfter) {

    /** The name of the secret under the prefix, as in the original. */
    public static final String MESH_KEY_NAME = "meshkey";

    public MeshSecretsProperties {
        if (!url.isBlank()) {
            serverUri(url);
        }
        positive(pollInterval, "derper.mesh.secrets.poll-interval");
        positive(requestTimeout, "derper.mesh.secrets.request-timeout");
        positive(startupTimeout, "derper.mesh.secrets.startup-timeout");
        positive(staleAfter, "derper.mesh.secrets.stale-after");
        if (previousKeyGrace == null || previousKeyGrace.isNegative()) {
            throw new IllegalArgumentException("derper.mesh.secrets.previous-key-grace must not be negative, got " + previousKeyGrace);
        }
    }

    public boolean enabled() {
        return !url.isBlank();
    }

    /** {@code <prefix>/meshkey}, joined like Go's path.Join (cleaned, no doubled or trailing slashes). */
    public String secretName() {
        return GoPath.join(pathPrefix, MESH_KEY_NAME);
    }

    /** The server's base URI; the API paths go below it. */
    public URI serverUri() {
        return serverUri(url);
    }

    /** The cache file: the configured path, or the original's default under {@code $HOME}. */
    public Path cacheFile(String home) {
        if (cacheDir != null && !cacheDir.toString().isBlank()) {
            return cacheDir;
        }
        return Path.of(home == null ? "" : home, ".cache", "derper-secrets");
    }

    private static URI serverUri(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("derper.mesh.secrets.url is not a URL: " + url + " (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("derper.mesh.secrets.url must be an http or https URL, got " + url);
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new IllegalArgumentException("derper.mesh.secrets.url has no host: " + url);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("derper.mesh.secrets.url must not carry a query or fragment: " + url);
        }
        return uri;
    }

    private static void positive(Duration d, String property) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(property + " must be positive, got " + d);
        }
    }

    /** Go's {@code path.Join} for the two parts of a secret name. */
    static final class GoPath {
        private GoPath() {
        }

        static String join(String prefix, String name) {
            String joined = prefix.isEmpty() ? name : prefix + "/" + name;
            return clean(joined);
        }

        /** Lexical cleaning as Go's path.Clean: no empty or "." elements, ".." resolved, no trailing slash. */
        static String clean(String p) {
            boolean rooted = p.startsWith("/");
            java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
            for (String part : p.split("/")) {
                if (part.isEmpty() || part.equals(".")) {
                    continue;
                }
                if (part.equals("..")) {
                    if (!out.isEmpty() && !out.peekLast().equals("..")) {
                        out.removeLast();
                    } else if (!rooted) {
                        out.addLast("..");
                    }
                    continue;
                }
                out.addLast(part);
            }
            String body = String.join("/", out);
            if (rooted) {
                return "/" + body;
            }
            return body.isEmpty() ? "." : body;
        }
    }
}
