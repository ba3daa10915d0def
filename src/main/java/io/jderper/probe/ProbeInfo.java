package io.jderper.probe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one probe.
 *
 * @param status          as the original reports it: {@code running} while an attempt is in flight, else the result of
 *                        the last attempt ({@code succeeded}/{@code failed}), {@code unknown} before the first
 * @param lastResult      the result of the last finished attempt, whether or not another is running:
 *                        {@code succeeded}, {@code failed} or {@code none}
 * @param latency         of the last attempt if it succeeded, else zero
 * @param error           of the last attempt if it failed, else empty
 * @param detail          a note from the last attempt (e.g. certificate expiry), or empty
 * @param recentLatencies of the recent successful attempts, oldest first
 */
public record ProbeInfo(String name, String className, Duration interval, Map<String, String> labels,
                        Instant start, Instant end, Duration latency, String status, String lastResult,
                        String error, String detail, List<Boolean> recentResults, List<Duration> recentLatencies) {

    public static final String UNKNOWN = "unknown";
    public static final String RUNNING = "running";
    public static final String FAILED = "failed";
    public static final String SUCCEEDED = "succeeded";
    public static final String NONE = "none";

    public boolean continuous() {
        return interval.isNegative();
    }

    public boolean failing() {
        return FAILED.equals(lastResult);
    }

    public double recentSuccessRatio() {
        if (recentResults.isEmpty()) {
            return 0;
        }
        return recentResults.stream().filter(b -> b).count() / (double) recentResults.size();
    }

    /** The median of the recent latencies (the original takes the middle one unsorted; sorted is the median). */
    public Duration recentMedianLatency() {
        if (recentLatencies.isEmpty()) {
            return Duration.ZERO;
        }
        List<Duration> copy = new ArrayList<>(recentLatencies);
        copy.sort(null);
        return copy.get(copy.size() / 2);
    }
}
