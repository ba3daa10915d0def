package io.jderper.mesh;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code mesh} health component. A sibling that cannot be reached makes the component {@code DEGRADED}, a status
 * outside the aggregation order: the node still relays for its own clients, so neither the overall status nor the
 * liveness and readiness groups (which list only their probes) may turn DOWN because of it. Readiness can be made to
 * wait for links with {@code derper.mesh.readiness-requires-links}; that is {@link MeshReadinessIndicator}'s job.
 */
final class MeshHealthIndicator implements HealthIndicator {
    static final String DEGRADED = "DEGRADED";

    private final RegionMesh mesh;

    MeshHealthIndicator(RegionMesh mesh) {
        this.mesh = mesh;
    }

    @Override
    public Health health() {
        if (!mesh.enabled()) {
            return Health.up().withDetail("enabled", false).build();
        }
        List<MeshLink.Status> links = mesh.linkStatus();
        int up = 0;
        int down = 0;
        Map<String, Object> siblings = new LinkedHashMap<>();
        for (MeshLink.Status s : links) {
            if (s.state() == MeshLink.State.UP) {
                up++;
            } else if (s.state() == MeshLink.State.CONNECTING || s.state() == MeshLink.State.RETRY_WAIT) {
                down++;
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("state", s.state().name());
            d.put("url", s.url());
            // Up since, or down since: retries do not move it.
            d.put("since", s.since().toString());
            if (s.sibling() != null) {
                d.put("serverKey", s.sibling());
            }
            if (s.state() == MeshLink.State.UP) {
                d.put("peers", s.peers());
            }
            if (s.lastError() != null) {
                d.put("lastError", s.lastError());
                d.put("lastErrorReason", s.lastErrorReason());
                d.put("lastErrorAt", s.lastErrorAt().toString());
                d.put("failedAttempts", s.failures());
            }
            siblings.put(s.name(), d);
        }
        // The description is shown even where details are hidden.
        Status status = down > 0 ? new Status(DEGRADED, down + " of " + (up + down) + " mesh links down") : Status.UP;
        Health.Builder b = Health.status(status)
                .withDetail("discovery", mesh.mode())
                .withDetail("linksUp", up)
                .withDetail("linksDown", down)
                .withDetail("retryInterval", mesh.retryInterval().toString())
                .withDetail("siblings", siblings);
        mesh.discoveryStatus().ifPresent(ds -> {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", ds.name());
            d.put("addresses", ds.addresses());
            d.put("lastSuccess", ds.lastSuccess() == null ? null : ds.lastSuccess().toString());
            if (ds.lastError() != null) {
                d.put("lastError", ds.lastError());
            }
            b.withDetail("dns", d);
        });
        return b.build();
    }
}
