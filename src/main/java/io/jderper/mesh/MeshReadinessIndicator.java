package io.jderper.mesh;

import io.jderper.config.MeshProperties.ReadinessRequirement;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The {@code meshReadiness} component of the readiness group. With {@code derper.mesh.readiness-requires-links=off}
 * (the default) it is always UP, so the mesh never takes a node out of service. With {@code any} the node is
 * OUT_OF_SERVICE until at least one sibling link is up; with {@code all}, until every one is. A node without siblings
 * (no mesh, or only its own entry) is always ready.
 */
final class MeshReadinessIndicator implements HealthIndicator {
    private final RegionMesh mesh;

    MeshReadinessIndicator(RegionMesh mesh) {
        this.mesh = mesh;
    }

    @Override
    public Health health() {
        ReadinessRequirement required = mesh.readinessRequirement();
        String name = required.name().toLowerCase(java.util.Locale.ROOT);
        if (required == ReadinessRequirement.OFF || !mesh.enabled()) {
            return Health.up().withDetail("requires", name).build();
        }
        int up = mesh.linksUp();
        int down = mesh.linksDown();
        boolean ready = up + down == 0 || (required == ReadinessRequirement.ANY ? up > 0 : down == 0);
        Health.Builder b = ready ? Health.up()
                : Health.status(new Status(Status.OUT_OF_SERVICE.getCode(), up + " of " + (up + down) + " mesh links up"));
        return b.withDetail("requires", name).withDetail("linksUp", up).withDetail("linksDown", down).build();
    }
}
