package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Client admission ({@code derper.verify.*}).
 *
 * @param tailscaled {@code -verify-clients}: ask the local tailscaled whether a node key is in the tailnet
 * @param socket     {@code -socket}: unix socket of the local tailscaled's LocalAPI, for {@code tailscaled} checks
 * @param clientUrl  {@code -verify-client-url}: URL of an admission controller asked whether each client may connect
 * @param failOpen   {@code -verify-client-url-fail-open}: admit when the controller cannot be reached
 * @param timeout    bound on one check, admission controller and tailscaled alike (original: 5 s for the controller)
 * @param cacheTtl   how long a decision is reused for the same key and source IP, so a reconnect storm does not
 *                   become a request storm; 0 disables the cache
 * @param cacheSize  decisions kept at most (oldest dropped first)
 */
@ConfigurationProperties("derper.verify")
public record VerifyProperties(
        @DefaultValue("false") boolean tailscaled,
        @DefaultValue("/var/run/tailscale/tailscaled.sock") Path socket,
        URI clientUrl,
        @DefaultValue("true") boolean failOpen,
        @DefaultValue("5s") Duration timeout,
        @DefaultValue("5s") Duration cacheTtl,
        @DefaultValue("4096") int cacheSize) {

    static final Path DEFAULT_SOCKET = Path.of("/var/run/tailscale/tailscaled.sock");

    public VerifyProperties {
        if (socket == null || socket.toString().isEmpty()) {
            socket = DEFAULT_SOCKET; // -socket "" means the platform default, as in the original
        }
        RelayProperties.requirePositive(timeout, "derper.verify.timeout");
        RelayProperties.requireNonNegative(cacheTtl, "derper.verify.cache-ttl");
        if (cacheSize < 0) {
            throw new IllegalArgumentException("derper.verify.cache-size must be >= 0, got " + cacheSize);
        }
        if (clientUrl != null && !clientUrl.toString().isEmpty()) {
            String scheme = clientUrl.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || clientUrl.getHost() == null) {
                throw new IllegalArgumentException("derper.verify.client-url must be an http:// or https:// URL, got " + clientUrl);
            }
        }
    }

    /** The admission controller URL, or null when none is configured (an empty value counts as none). */
    public URI controllerUrl() {
        return clientUrl == null || clientUrl.toString().isEmpty() ? null : clientUrl;
    }
}
