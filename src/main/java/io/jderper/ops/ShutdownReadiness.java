package io.jderper.ops;

import io.jderper.config.RelayProperties;
import io.jderper.server.DerpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * First step of graceful shutdown: readiness goes down, then (after {@code derper.relay.readiness-grace}) the relay's
 * own stop sends Restarting frames and drains. Its phase is above the relay's, so Spring stops it first and waits
 * for the grace before stopping the relay; the management server, stopped far later, keeps answering 503 meanwhile.
 */
final class ShutdownReadiness implements SmartLifecycle {
    static final int PHASE = DerpServer.LIFECYCLE_PHASE + 50;

    private static final Logger log = LoggerFactory.getLogger(ShutdownReadiness.class);

    private final ApplicationEventPublisher events;
    private final Duration grace;
    private volatile boolean running;
    private volatile boolean draining;
    private volatile boolean refusedBefore;

    ShutdownReadiness(ApplicationEventPublisher events, RelayProperties relay) {
        this.events = events;
        this.grace = relay.readinessGrace();
    }

    /** True from the start of shutdown on. */
    boolean draining() {
        return draining;
    }

    @Override
    public void start() {
        draining = false;
        running = true;
        // The first start is followed by Boot's own ACCEPTING_TRAFFIC once the application is ready; only a restart
        // after stop() has to undo what stop() published.
        if (refusedBefore) {
            AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
        }
    }

    @Override
    public void stop() {
        stop(() -> {
        });
    }

    @Override
    public void stop(Runnable callback) {
        draining = true;
        running = false;
        refusedBefore = true;
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
        if (grace.isZero()) {
            callback.run();
            return;
        }
        log.info("shutting down: readiness is down; Restarting frames follow in {}", grace);
        CompletableFuture.delayedExecutor(grace.toNanos(), TimeUnit.NANOSECONDS).execute(callback);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
