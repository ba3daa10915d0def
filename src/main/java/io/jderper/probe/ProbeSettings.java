package io.jderper.probe;

import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything a prober run needs, whether it came from {@code derpprobe}-style flags or from {@code derper.probe.*}.
 * Zero intervals switch a probe class off, as in the original.
 *
 * @param derpMap            {@code https://}, {@code http://} or {@code file://} URL of a DERP map, or {@code local}
 * @param listen             address of the status page and metrics ({@code :8030}); ignored in once mode
 * @param regionCodeOrId     probe only this region (code or numeric ID), or all when empty
 * @param meshKeys           the mesh key the probe clients present, read at each connection (it rotates with an
 *                           embedded prober's server); a fixed empty source for regular clients
 * @param tlsCaFile          extra trusted CA certificates (PEM) for the nodes' certificates, or null
 * @param derpHttp           reach nodes with plain HTTP instead of TLS (Tailscale's TS_DEBUG_USE_DERP_HTTP)
 */
public record ProbeSettings(String derpMap, String listen, boolean once, boolean spread,
                            Duration interval, Duration meshInterval, Duration stunInterval, Duration tlsInterval,
                            Duration bwInterval, long bwProbeSizeBytes,
                            int qdPacketsPerSecond, Duration qdPacketTimeout,
                            String regionCodeOrId, MeshKeySource meshKeys, Path tlsCaFile, boolean derpHttp) {

    public static final String LOCAL = "local";
    /** The interval of continuous probes: how long to wait after one ends before starting it again. */
    static final Duration CONTINUOUS_RESTART = Duration.ofSeconds(10);

    public ProbeSettings {
        if (derpMap == null || derpMap.isBlank()) {
            throw new IllegalArgumentException("the DERP map URL must not be empty");
        }
        if (!derpMap.equals(LOCAL) && !derpMap.startsWith("https://") && !derpMap.startsWith("http://")
                && !derpMap.startsWith("file:")) {
            throw new IllegalArgumentException("the DERP map must be an https://, http:// or file:// URL or 'local', got '" + derpMap + "'");
        }
        requirePositive(interval, "interval");
        requireNotNegative(meshInterval, "mesh-interval");
        requireNotNegative(stunInterval, "stun-interval");
        requireNotNegative(tlsInterval, "tls-interval");
        requireNotNegative(bwInterval, "bw-interval");
        if (!bwInterval.isZero() && bwProbeSizeBytes <= 0) {
            throw new IllegalArgumentException("bw-probe-size-bytes must be positive when bandwidth probing is on");
        }
        if (qdPacketsPerSecond < 0 || qdPacketsPerSecond > 1000) {
            throw new IllegalArgumentException("qd-packets-per-second must be 0..1000, got " + qdPacketsPerSecond);
        }
        if (qdPacketsPerSecond > 0) {
            requirePositive(qdPacketTimeout, "qd-packet-timeout");
        }
        regionCodeOrId = regionCodeOrId == null ? "" : regionCodeOrId;
        meshKeys = meshKeys == null ? MeshKeySource.fixed(Optional.empty()) : meshKeys;
    }

    /** The mesh key the probe clients present now, if any. */
    public Optional<MeshKey> meshKey() {
        return meshKeys.current();
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void requireNotNegative(Duration d, String name) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + d);
        }
    }
}
