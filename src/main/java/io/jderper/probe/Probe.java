package io.jderper.probe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One named probe: runs its class's task every interval (or continuously, for a negative interval), keeps the last
 * result and a short history, and writes its metrics. At most one attempt is in flight; an attempt is given 80% of the
 * interval, so it ends before the next is due.
 */
public final class Probe {
    private static final Logger log = LoggerFactory.getLogger(Probe.class);
    static final int HISTORY = 10;

    private final Prober prober;
    private final String name;
    private final ProbeClass probeClass;
    private final Duration interval;
    private final Duration timeout;
    private final Duration initialDelay;
    private final Map<String, String> labels;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    // Guarded by this.
    private ScheduledFuture<?> schedule;
    private ProbeRun current;
    private boolean closed;
    private int inFlight;
    private Instant start;
    private Instant end;
    private long startNanos;
    private Duration latency = Duration.ZERO;
    private boolean succeeded;
    private String lastError;
    private String detail = "";
    private final Deque<Boolean> recentResults = new ArrayDeque<>();
    private final Deque<Duration> recentLatencies = new ArrayDeque<>();
    private long attemptsOk;
    private long attemptsFail;
    private double secondsOk;
    private double secondsFail;

    Probe(Prober prober, String name, Duration interval, Map<String, String> runLabels, ProbeClass probeClass) {
        this.prober = prober;
        this.name = name;
        this.probeClass = probeClass;
        this.interval = interval;
        this.timeout = Duration.ofNanos((long) (interval.abs().toNanos() * 0.8));
        this.initialDelay = initialDelay(name, interval.abs());
        Map<String, String> l = new TreeMap<>();
        l.put("name", name);
        l.put("class", probeClass.className());
        l.putAll(probeClass.labels());
        l.putAll(runLabels);
        this.labels = Collections.unmodifiableMap(l);
    }

    public String name() {
        return name;
    }

    public Duration interval() {
        return interval;
    }

    public boolean continuous() {
        return interval.isNegative();
    }

    Map<String, String> labels() {
        return labels;
    }

    /** Completes once the probe has stopped: after its single attempt in once mode, or when closed. */
    CompletableFuture<Void> stopped() {
        return stopped;
    }

    /**
     * A pseudo-random delay in [0, interval) derived from the name, so that probes of one class do not all fire
     * together and a restart keeps each probe's phase.
     */
    static Duration initialDelay(String seed, Duration interval) {
        long h = 0xcbf29ce484222325L;
        for (byte b : seed.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        double r = new java.util.SplittableRandom(h).nextDouble();
        return Duration.ofNanos((long) (interval.toNanos() * r));
    }

    synchronized void begin() {
        long delay = prober.spread() ? initialDelay.toNanos() : 0;
        if (prober.once()) {
            schedule = prober.scheduler().schedule(() -> attempt().whenComplete((v, e) -> finishOnce()),
                    delay, TimeUnit.NANOSECONDS);
        } else if (continuous()) {
            schedule = prober.scheduler().schedule(this::continuousLoop, delay, TimeUnit.NANOSECONDS);
        } else {
            schedule = prober.scheduler().scheduleAtFixedRate(this::tick, delay, interval.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void finishOnce() {
        synchronized (this) {
            closed = true;
        }
        stopped.complete(null);
    }

    private void tick() {
        synchronized (this) {
            if (closed || inFlight > 0) {
                // The previous attempt ignored its deadline; skipping keeps one attempt at a time.
                return;
            }
        }
        attempt();
    }

    private void continuousLoop() {
        attempt().whenComplete((v, e) -> {
            synchronized (this) {
                if (!closed) {
                    schedule = prober.scheduler().schedule(this::continuousLoop, interval.abs().toNanos(), TimeUnit.NANOSECONDS);
                }
            }
        });
    }

    /** Runs one attempt now (also used by the run-probe endpoint); completes with the snapshot after it. */
    CompletableFuture<ProbeInfo> attempt() {
        ProbeRun run;
        boolean timeoutIsSuccess = continuous() && prober.once();
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(info());
            }
            // A continuous probe measures until it fails; in once mode it gets one interval's window instead.
            run = continuous() && !prober.once() ? ProbeRun.unbounded() : ProbeRun.within(continuous() ? interval.abs() : timeout);
            current = run;
            inFlight++;
            start = prober.now();
            startNanos = System.nanoTime();
        }
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        prober.workers().execute(() -> {
            try {
                CompletionStage<?> stage = probeClass.task().start(run);
                stage.whenComplete((v, e) -> {
                    if (e == null) {
                        outcome.complete(null);
                    } else {
                        outcome.completeExceptionally(e);
                    }
                });
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });
        ScheduledFuture<?> deadline = null;
        if (run.hasDeadline()) {
            Duration window = continuous() ? interval.abs() : timeout;
            deadline = prober.scheduler().schedule(() -> {
                if (timeoutIsSuccess) {
                    outcome.complete(null);
                } else {
                    // Ending the run first lets a task that knows how far it got fail with its own message.
                    run.end();
                    outcome.completeExceptionally(new ProbeFailure("timeout after " + format(window)));
                }
            }, window.toNanos(), TimeUnit.NANOSECONDS);
        }
        ScheduledFuture<?> timer = deadline;
        CompletableFuture<ProbeInfo> done = new CompletableFuture<>();
        outcome.whenComplete((v, e) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            run.end();
            ProbeInfo info = recordEnd(run, e);
            done.complete(info);
        });
        return done;
    }

    private synchronized ProbeInfo recordEnd(ProbeRun run, Throwable error) {
        Instant now = prober.now();
        Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
        inFlight--;
        if (current == run) {
            current = null;
        }
        end = now;
        succeeded = error == null;
        lastError = error == null ? null : message(error);
        String d = run.detail();
        detail = d == null ? "" : d;
        if (succeeded) {
            latency = took;
            attemptsOk++;
            secondsOk += took.toNanos() / 1e9;
            push(recentLatencies, took);
        } else {
            latency = Duration.ZERO;
            attemptsFail++;
            secondsFail += took.toNanos() / 1e9;
            if (!closed) {
                log.info("probe {}: {}", name, lastError);
            }
        }
        push(recentResults, succeeded);
        return info();
    }

    private static <T> void push(Deque<T> ring, T value) {
        ring.addLast(value);
        while (ring.size() > HISTORY) {
            ring.removeFirst();
        }
    }

    static String message(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof ProbeFailure) {
            return m;
        }
        if (t instanceof java.net.ConnectException && m != null) {
            // Netty's native transport prefixes the errno detail; what matters is the reason and the address.
            return "connect: " + m.replaceFirst("^[\\w(.)]+ failed with error\\(-?\\d+\\): ", "");
        }
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        } else if (!(t instanceof IllegalStateException) && !(t instanceof IllegalArgumentException)) {
            m = t.getClass().getSimpleName() + ": " + m;
        }
        return m;
    }

    /** Go-like short form: 15s, 1.5s, 800ms. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        if (ms > 1000) {
            return java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
        }
        return ms + "ms";
    }

    synchronized ProbeInfo info() {
        String status;
        if (inFlight > 0) {
            status = ProbeInfo.RUNNING;
        } else if (end != null && succeeded) {
            status = ProbeInfo.SUCCEEDED;
        } else if (end != null && lastError != null) {
            status = ProbeInfo.FAILED;
        } else {
            status = ProbeInfo.UNKNOWN;
        }
        String lastResult = end == null ? ProbeInfo.NONE : succeeded ? ProbeInfo.SUCCEEDED : ProbeInfo.FAILED;
        return new ProbeInfo(name, probeClass.className(), interval, labels, start, end, latency, status, lastResult,
                lastError == null ? "" : lastError, detail, List.copyOf(recentResults), List.copyOf(recentLatencies));
    }

    /** This probe's samples, with the original's names, help texts and rules for when each appears. */
    synchronized void writeMetrics(PromText out) {
        out.gauge("interval_secs", "Probe interval in seconds", labels, interval.toNanos() / 1e9);
        out.gauge("in_flight", "Number of probes currently running", labels, inFlight);
        if (start != null) {
            out.gauge("start_secs", "Latest probe start time (seconds since epoch)", labels, start.getEpochSecond());
        }
        if (end == null && !continuous()) {
            return;
        }
        if (end != null) {
            out.gauge("end_secs", "Latest probe end time (seconds since epoch)", labels, end.getEpochSecond());
        }
        out.gauge("result", "Latest probe result (1 = success, 0 = failure)", labels, succeeded ? 1 : 0);
        if (!latency.isZero()) {
            out.gauge("latency_millis", "Latest probe latency (ms)", labels, latency.toMillis());
        }
        if (end != null) {
            out.counter("attempts_total", "Total number of probing attempts", with("status", "ok"), attemptsOk);
            out.counter("attempts_total", "Total number of probing attempts", with("status", "fail"), attemptsFail);
            out.counter("seconds_total", "Total amount of time spent executing the probe", with("status", "ok"), secondsOk);
            out.counter("seconds_total", "Total amount of time spent executing the probe", with("status", "fail"), secondsFail);
        }
        if (probeClass.metrics() != null) {
            probeClass.metrics().write(out, labels);
        }
    }

    private Map<String, String> with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(labels);
        m.put(key, value);
        return m;
    }

    /** Stops scheduling, ends a running attempt (closing its connections) and completes {@link #stopped()}. */
    void close() {
        ProbeRun running;
        synchronized (this) {
            closed = true;
            if (schedule != null) {
                schedule.cancel(false);
            }
            running = current;
        }
        if (running != null) {
            running.end();
        }
        stopped.complete(null);
    }
}
