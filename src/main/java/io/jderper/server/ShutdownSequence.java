package io.jderper.server;

import io.jderper.config.RelayProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Graceful shutdown as one sequence, owned here and run in this order on every context close (SIGTERM):
 * <ol>
 *   <li>readiness goes down (503) and the node's own prober stops; the relay still serves everyone;</li>
 *   <li>{@code derper.relay.readiness-grace} passes, so load balancers stop sending new clients;</li>
 *   <li>the relay refuses new sessions, sends every connection Restarting and closes the connections spread over
 *       {@code derper.relay.drain-period} ({@link DerpServer#drain()});</li>
 *   <li>the mesh links close, both this node's links to its siblings and theirs into it, having carried the
 *       traffic of the clients being moved;</li>
 *   <li>only then does Spring go on to the lower phases, where the web servers (the management server with its
 *       readiness 503 included) stop.</li>
 * </ol>
 * The steps run on a thread of their own; Spring gets the stop callback once the last step is done. Spring moves to
 * the next phase as soon as every bean of a phase has called back, and it counts a bean pulled into a phase as a
 * dependent towards that phase too, so this bean sits alone in its phase and nothing depends on it
 * ({@code ShutdownSequenceTest} checks both). The participants no longer stop themselves in phases of their own:
 * they act when told ({@link ShutdownParticipant}), and their lifecycle stops, which Spring still calls later, find
 * nothing left to do.
 */
public final class ShutdownSequence implements SmartLifecycle {
    /** The highest phase but Spring's default one: stopped first, and alone. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1;
    /**
     * Time allowed beyond the grace and the drain period: the last paced close completing on a busy loop, and the
     * mesh links closing (each gets 5 s).
     */
    public static final Duration MARGIN = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ShutdownSequence.class);

    private final DerpServer relay;
    private final Duration grace;
    private final Duration drainPeriod;
    private final Duration budget;
    private final List<ShutdownParticipant> participants;
    private volatile boolean running;
    private volatile boolean ranBefore;

    public ShutdownSequence(DerpServer relay, RelayProperties properties, List<ShutdownParticipant> participants) {
        this(relay, properties, participants, MARGIN);
    }

    /** With another margin, so tests can see the deadline without waiting for the real one. */
    ShutdownSequence(DerpServer relay, RelayProperties properties, List<ShutdownParticipant> participants,
                     Duration margin) {
        this.relay = relay;
        this.grace = properties.readinessGrace();
        this.drainPeriod = properties.drainPeriod();
        this.budget = properties.readinessGrace().plus(properties.drainPeriod()).plus(margin);
        this.participants = List.copyOf(participants);
    }

    /** The longest the whole sequence may take: readiness grace + drain period + {@link #MARGIN}. */
    public static Duration budget(RelayProperties properties) {
        return properties.readinessGrace().plus(properties.drainPeriod()).plus(MARGIN);
    }

    /** How long Spring must wait for this phase: a little beyond the sequence's own deadline, so it never cuts in. */
    public static Duration springPhaseTimeout(RelayProperties properties) {
        return budget(properties).plusSeconds(5);
    }

    @Override
    public void start() {
        if (ranBefore) {
            participants.forEach(p -> step("restart", p::restarted));
        }
        running = true;
    }

    @Override
    public void stop() {
        CountDownLatch done = new CountDownLatch(1);
        stop(done::countDown);
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        ranBefore = true;
        Thread sequence = new Thread(() -> {
            try {
                run();
            } finally {
                callback.run();
            }
        }, "derp-shutdown");
        sequence.start();
    }

    private void run() {
        long started = System.nanoTime();
        long deadline = started + budget.toNanos();
        log.info("shutting down: readiness is down; Restarting frames follow in {}, then connections close over {}",
                grace, drainPeriod);
        participants.forEach(p -> step("shutdown", p::shutdownBegins));
        try {
            TimeUnit.NANOSECONDS.sleep(grace.toNanos());
            awaitStep(relay.drain(), deadline, "closing the relay's connections");
            List<CompletableFuture<Void>> meshSteps = new ArrayList<>();
            meshSteps.add(relay.closeMeshPeers());
            participants.forEach(p -> meshSteps.add(relayDrained(p)));
            awaitStep(CompletableFuture.allOf(meshSteps.toArray(CompletableFuture[]::new)), deadline,
                    "closing the mesh links");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("shutting down: interrupted; stopping the listeners now");
            return;
        }
        log.info("shutting down: relay drained in {} ms; stopping the listeners",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    private CompletableFuture<Void> relayDrained(ShutdownParticipant p) {
        try {
            return p.relayDrained();
        } catch (RuntimeException e) {
            log.warn("shutting down: {} failed after the drain", p, e);
            return CompletableFuture.completedFuture(null);
        }
    }

    private static void step(String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            // One part failing to stop must not keep the others (or the drain) from running.
            log.warn("{} step failed", what, e);
        }
    }

    private void awaitStep(CompletableFuture<?> step, long deadline, String what) throws InterruptedException {
        try {
            step.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            log.warn("shutting down: {} took longer than the shutdown budget ({}); going on", what, budget);
        } catch (ExecutionException e) {
            log.warn("shutting down: {} failed; going on", what, e.getCause());
        }
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
