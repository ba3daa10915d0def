package io.jderper.ops;

import io.jderper.config.RelayProperties;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DerpServer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code derp}: the main listener is bound and the relay takes new sessions. OUT_OF_SERVICE from the moment graceful
 * shutdown begins, so readiness drops before any client is told to go away.
 */
final class DerpHealthIndicator implements HealthIndicator {
    private final DerpServer server;
    private final RelayProperties relay;
    private final MainListener listener;
    private final ShutdownReadiness shutdown;

    DerpHealthIndicator(DerpServer server, RelayProperties relay, MainListener listener, ShutdownReadiness shutdown) {
        this.server = server;
        this.relay = relay;
        this.listener = listener;
        this.shutdown = shutdown;
    }

    @Override
    public Health health() {
        int port = listener.port();
        DerpMetrics m = server.metrics();
        Health.Builder b;
        if (shutdown.draining()) {
            b = Health.outOfService().withDetail("state", "shutting down");
        } else if (port <= 0) {
            b = Health.down().withDetail("state", "listener not bound");
        } else if (!server.isRunning()) {
            b = Health.down().withDetail("state", "relay not running");
        } else {
            b = Health.up().withDetail("state", "serving");
        }
        return b.withDetail("listenerPort", port)
                .withDetail("relayEnabled", relay.enabled())
                .withDetail("connections", m.currentConnections.get())
                .withDetail("clientsLocal", m.clientsLocal.get())
                .withDetail("clientsTotal", m.clientsTotal.get())
                .withDetail("meshKey", server.meshKey().isPresent())
                .build();
    }
}
