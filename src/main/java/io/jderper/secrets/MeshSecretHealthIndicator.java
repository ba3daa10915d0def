package io.jderper.secrets;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

import java.time.Duration;

/**
 * The {@code meshSecret} health component: which version of the mesh key is in use, where it came from, when the
 * secrets server last confirmed it and the last error. Without a confirmation for {@code stale-after} it reports
 * {@code STALE}, a status outside the aggregation order: the node keeps relaying and meshing with the key it has, and
 * taking it out of the load balancer would not bring the secrets server back, so the component is in no probe group.
 */
final class MeshSecretHealthIndicator implements HealthIndicator {
    static final String STALE = "STALE";

    private final MeshKeyFromSetec source;

    MeshSecretHealthIndicator(MeshKeyFromSetec source) {
        this.source = source;
    }

    @Override
    public Health health() {
        MeshKeyFromSetec.Status s = source.status();
        Duration limit = source.properties().staleAfter();
        double age = source.refreshAgeSeconds();
        Status status = age > limit.toSeconds()
                ? new Status(STALE, "mesh key not confirmed by the secrets server for over " + limit)
                : Status.UP;
        Health.Builder b = Health.status(status)
                .withDetail("secret", s.secret())
                .withDetail("version", s.version())
                .withDetail("source", s.source().name().toLowerCase(java.util.Locale.ROOT))
                .withDetail("since", s.since().toString())
                .withDetail("previousKeyAccepted", source.key().previousStillAccepted());
        // Absent rather than null: the server never confirmed the key (started from the cache).
        if (s.lastSuccess() != null) {
            b.withDetail("lastRefresh", s.lastSuccess().toString());
        }
        if (s.lastAttempt() != null) {
            b.withDetail("lastAttempt", s.lastAttempt().toString());
        }
        if (s.lastError() != null) {
            b.withDetail("lastError", s.lastError());
        }
        return b.build();
    }
}
