package io.jderper.probe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs named probes on their schedules and reports their results (the counterpart of the original's prober
 * package). Probes may add and remove other probes while running, as the DERP map probe does.
 */
public final class Prober implements AutoCloseable {
    private final String namespace;
    private final boolean spread;
    private final boolean once;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService workers;
    private final Map<String, Probe> probes = new LinkedHashMap<>();

    /**
     * @param namespace metric name prefix ({@code derpprobe} as the original's derpprobe sets it)
     * @param spread    delay each probe's first attempt by a name-derived fraction of its interval
     * @param once      run every probe once instead of on a schedule
     */
    public Prober(String namespace, boolean spread, boolean once) {
        this(namespace, spread, once, Clock.systemUTC());
    }

    Prober(String namespace, boolean spread, boolean once, Clock clock) {
        this.namespace = namespace;
        this.spread = spread;
        this.once = once;
        this.clock = clock;
        this.scheduler = new ScheduledThreadPoolExecutor(1, daemon("prober-scheduler"));
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.workers = Executors.newFixedThreadPool(2, daemon("prober-worker"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    boolean spread() {
        return spread;
    }

    boolean once() {
        return once;
    }

    Instant now() {
        return clock.instant();
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    ExecutorService workers() {
        return workers;
    }

    /**
     * Registers and starts a probe.
     *
     * @param interval a negative interval makes a continuous probe that restarts that long after each end
     * @throws IllegalStateException when the name is taken
     */
    public Probe run(String name, Duration interval, Map<String, String> labels, ProbeClass probeClass) {
        if (interval.isZero()) {
            throw new IllegalArgumentException("probe " + name + ": interval must not be zero");
        }
        Probe probe = new Probe(this, name, interval, labels, probeClass);
        synchronized (probes) {
            if (probes.containsKey(name)) {
                throw new IllegalStateException("probe named \"" + name + "\" already registered");
            }
            probes.put(name, probe);
        }
        probe.begin();
        return probe;
    }

    /** Stops a probe and forgets it (its metrics disappear with it). */
    public void remove(Probe probe) {
        synchronized (probes) {
            probes.remove(probe.name(), probe);
        }
        probe.close();
    }

    public Map<String, ProbeInfo> probeInfo() {
        Map<String, ProbeInfo> out = new TreeMap<>();
        for (Probe p : snapshot()) {
            out.put(p.name(), p.info());
        }
        return out;
    }

    public Optional<Probe> probe(String name) {
        synchronized (probes) {
            return Optional.ofNullable(probes.get(name));
        }
    }

    /** Runs a registered probe now, outside its schedule. */
    public Optional<CompletableFuture<ProbeInfo>> runNow(String name) {
        return probe(name).filter(p -> !p.continuous()).map(Probe::attempt);
    }

    private List<Probe> snapshot() {
        synchronized (probes) {
            return new ArrayList<>(probes.values());
        }
    }

    /** Prometheus text of every probe's metrics. */
    public String metricsText() {
        PromText out = new PromText(namespace);
        for (Probe p : snapshot()) {
            p.writeMetrics(out);
        }
        return out.render();
    }

    /**
     * Once mode: waits until every probe has stopped, including probes added meanwhile by other probes.
     *
     * @throws TimeoutException when that takes longer than {@code max}
     */
    public void awaitAll(Duration max) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            List<Probe> seen = snapshot();
            for (Probe p : seen) {
                long left = deadline - System.nanoTime();
                try {
                    p.stopped().get(Math.max(0, left), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // stopped() never fails
                }
            }
            if (snapshot().size() == seen.size()) {
                return;
            }
        }
    }

    @Override
    public void close() {
        for (Probe p : snapshot()) {
            p.close();
        }
        synchronized (probes) {
            probes.clear();
        }
        scheduler.shutdownNow();
        workers.shutdownNow();
    }
}
