package io.jderper.server;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The labels of {@code derp_tcp_rtt}, as the original names them. A sample counts once, under the smallest bound it
 * fits (the series are not cumulative, despite the {@code le} label). {@link #ERROR} counts connections whose socket
 * refused the first read of its TCP state; they are not sampled again.
 */
public enum TcpRttBucket {
    MS_10("10ms", 10),
    MS_20("20ms", 20),
    MS_50("50ms", 50),
    MS_100("100ms", 100),
    MS_150("150ms", 150),
    MS_250("250ms", 250),
    MS_500("500ms", 500),
    INF("inf", Long.MAX_VALUE),
    ERROR("error", -1);

    private static final TcpRttBucket[] BOUNDED = {MS_10, MS_20, MS_50, MS_100, MS_150, MS_250, MS_500};
    /** In the order the original prints its labels: sorted as text ("100ms" before "10ms"). */
    private static final List<TcpRttBucket> BY_LABEL = Arrays.stream(values())
            .sorted(Comparator.comparing(TcpRttBucket::label)).toList();

    private final String label;
    private final long boundMicros;

    TcpRttBucket(String label, long boundMillis) {
        this.label = label;
        this.boundMicros = boundMillis < 0 || boundMillis == Long.MAX_VALUE ? boundMillis : TimeUnit.MILLISECONDS.toMicros(boundMillis);
    }

    public String label() {
        return label;
    }

    static List<TcpRttBucket> byLabel() {
        return BY_LABEL;
    }

    /** The bucket of a round-trip estimate in microseconds (the unit Linux reports in {@code tcp_info}). */
    public static TcpRttBucket of(long rttMicros) {
        for (TcpRttBucket b : BOUNDED) {
            if (rttMicros <= b.boundMicros) {
                return b;
            }
        }
        return INF;
    }
}
