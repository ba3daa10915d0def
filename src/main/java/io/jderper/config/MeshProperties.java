package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Region mesh ({@code derper.mesh.*}).
 *
 * @param key         the pre-shared key as 64 hex digits (takes precedence over {@code keyFile})
 * @param keyFile     {@code -mesh-psk-file}: file holding the key as 64 hex digits, whitespace trimmed (make one with
 *                    {@code openssl rand -hex 32 > mesh.key}); unset = /home/derp/keys/derp-mesh.key or
 *                    $HOME/keys/derp-mesh.key if present
 * @param with        {@code -mesh-with}: comma-separated siblings to mesh with, each {@code host} or
 *                    {@code host/dial-host}; this server's own name may be in the list
 * @param discovery   {@code static} (the list above) or {@code dns} (resolve {@code dnsName} periodically)
 * @param dnsName     headless-service name resolved when discovery is dns
 * @param dnsRefresh  how often dns discovery resolves
 * @param dnsServerName with dns discovery over TLS, the host name sent as SNI to every discovered sibling and checked in
 *                    its certificate, for regions whose nodes share one name (as DERP map nodes may, each with its own
 *                    IPv4/IPv6); empty = none, so siblings must serve certificates without SNI
 * @param dialPort    port to dial siblings on when an entry carries none (443 as the original; 0 = the main listener's)
 * @param tls         whether links to siblings use https (the original always does)
 * @param caFile      PEM file of the CA certificates sibling certificates must chain to, instead of the system CAs
 *                    (unset = the system CAs, as the original); re-read when it changes
 * @param retryInterval wait after a failed link attempt or a lost link before the next attempt (the original's 5 s)
 * @param readinessRequiresLinks whether readiness waits for mesh links: {@code off} (the default: the mesh never
 *                    affects readiness), {@code any} (at least one sibling link up), {@code all} (every sibling link up)
 */
@ConfigurationProperties("derper.mesh")
public record MeshProperties(
        @DefaultValue("") String key,
        Path keyFile,
        @DefaultValue List<String> with,
        @DefaultValue("static") String discovery,
        @DefaultValue("") String dnsName,
        @DefaultValue("30s") Duration dnsRefresh,
        @DefaultValue("") String dnsServerName,
        @DefaultValue("443") int dialPort,
        @DefaultValue("true") boolean tls,
        Path caFile,
        @DefaultValue("5s") Duration retryInterval,
        @DefaultValue("off") ReadinessRequirement readinessRequiresLinks) {

    /** What {@code derper.mesh.readiness-requires-links} asks of the links before the node reports ready. */
    public enum ReadinessRequirement {
        /** Readiness does not depend on the mesh. */
        OFF,
        /** Ready while at least one sibling link is up (or the node has no siblings). */
        ANY,
        /** Ready only while every sibling link is up. */
        ALL
    }

    public MeshProperties {
        if (!discovery.equals("static") && !discovery.equals("dns")) {
            throw new IllegalArgumentException("derper.mesh.discovery must be 'static' or 'dns', got '" + discovery + "'");
        }
        for (String entry : with) {
            if (entry.chars().filter(c -> c == '/').count() > 1) {
                throw new IllegalArgumentException("derper.mesh.with entry '" + entry + "' has more than one '/'");
            }
        }
        if (discovery.equals("dns") && dnsName.isBlank()) {
            throw new IllegalArgumentException("derper.mesh.dns-name is required when derper.mesh.discovery=dns");
        }
        // Under 10 s, so a returning sibling is meshed again within 10 s (conformance C-62).
        if (retryInterval.isNegative() || retryInterval.isZero() || retryInterval.compareTo(Duration.ofSeconds(10)) >= 0) {
            throw new IllegalArgumentException("derper.mesh.retry-interval must be more than 0s and less than 10s, got "
                    + retryInterval);
        }
        if (!dnsServerName.isBlank() && !(discovery.equals("dns") && tls)) {
            throw new IllegalArgumentException("derper.mesh.dns-server-name only applies with derper.mesh.discovery=dns "
                    + "and derper.mesh.tls=true, got discovery=" + discovery + ", tls=" + tls);
        }
    }
}
