package io.jderper.probe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One attempt of a probe: its deadline and the resources to release when it ends, whichever way it ends (success,
 * failure, timeout or the probe being removed). Tasks register connections and timers with {@link #onEnd}.
 */
public final class ProbeRun {
    private final long deadlineNanos;
    private final List<Runnable> cleanups = new ArrayList<>();
    private volatile String detail;
    private boolean ended;

    ProbeRun(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A run without a deadline (continuous probes run until they fail or are stopped). */
    static ProbeRun unbounded() {
        return new ProbeRun(Long.MAX_VALUE);
    }

    static ProbeRun within(Duration timeout) {
        return new ProbeRun(System.nanoTime() + timeout.toNanos());
    }

    public boolean hasDeadline() {
        return deadlineNanos != Long.MAX_VALUE;
    }

    /** Time left before the deadline (zero when past it; very long when there is none). */
    public Duration remaining() {
        if (!hasDeadline()) {
            return Duration.ofDays(365);
        }
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /** Runs {@code cleanup} when the attempt ends; at once if it already has. */
    public void onEnd(Runnable cleanup) {
        boolean now;
        synchronized (this) {
            now = ended;
            if (!now) {
                cleanups.add(cleanup);
            }
        }
        if (now) {
            cleanup.run();
        }
    }

    public synchronized boolean isEnded() {
        return ended;
    }

    /** A short human note shown on the status page next to the result (e.g. when a certificate expires). */
    public void detail(String text) {
        this.detail = text;
    }

    String detail() {
        return detail;
    }

    void end() {
        List<Runnable> toRun;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            toRun = new ArrayList<>(cleanups);
            cleanups.clear();
        }
        for (int i = toRun.size() - 1; i >= 0; i--) {
            try {
                toRun.get(i).run();
            } catch (RuntimeException e) {
                // A failing cleanup must not keep the others from running.
            }
        }
    }
}
