package io.jderper.probe;

import java.util.Map;

/**
 * A kind of probe: the task, the {@code class} label value and labels every probe of the class carries, and optional
 * class-specific metrics (bandwidth, queuing delay, certificate expiry).
 */
public record ProbeClass(String className, Map<String, String> labels, ProbeTask task, ExtraMetrics metrics) {

    /** Metrics a probe class adds to the probe's own, written with the probe's labels. */
    @FunctionalInterface
    public interface ExtraMetrics {
        void write(PromSink out, Map<String, String> labels);
    }

    /** The metric calls available to {@link ExtraMetrics}. */
    public interface PromSink {
        void gauge(String name, String help, Map<String, String> labels, double value);

        void counter(String name, String help, Map<String, String> labels, double value);

        void histogram(String name, String help, Map<String, String> labels, double[] bounds, long[] cumulative,
                       double sum, long count);
    }

    public ProbeClass {
        labels = Map.copyOf(labels);
    }

    public static ProbeClass of(String className, ProbeTask task) {
        return new ProbeClass(className, Map.of(), task, null);
    }
}
