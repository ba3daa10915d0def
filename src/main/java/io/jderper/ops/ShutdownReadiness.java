package io.jderper.ops;

import io.jderper.server.ShutdownParticipant;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.core.Ordered;

/**
 * The readiness step of the shutdown sequence ({@link io.jderper.server.ShutdownSequence}): readiness and the
 * {@code derp} component go down (503) when shutdown begins, while the relay still serves everyone; the sequence
 * then waits out {@code derper.relay.readiness-grace} before any Restarting frame goes out.
 */
final class ShutdownReadiness implements ShutdownParticipant, Ordered {
    private final ApplicationEventPublisher events;
    private volatile boolean draining;

    ShutdownReadiness(ApplicationEventPublisher events) {
        this.events = events;
    }

    /** True from the start of shutdown on. */
    boolean draining() {
        return draining;
    }

    @Override
    public void shutdownBegins() {
        draining = true;
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
    }

    /** Readiness goes down before any other participant acts. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    /** A restart after a stop undoes what shutdown published (the first start gets Boot's own ACCEPTING_TRAFFIC). */
    @Override
    public void restarted() {
        draining = false;
        AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
    }
}
