package io.jderper.ops;

import io.jderper.config.Version;
import io.jderper.server.DerpMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The original's {@code /debug/varz} text: Prometheus exposition with the exact series names and label order
 * derper uses (no {@code _total} suffixes), so scrapers and dashboards built for derper keep working.
 */
public final class VarzWriter {
    private static final List<String> FOREIGN_PREFIXES = List.of("stun_", "bootstrap_dns_", "tls_listener_",
            "derp_rate_limit_", "derp_admission_", "derp_limit_", "derp_http_request_");

    private final DerpMetrics metrics;
    private final MeterRegistry registry;
    private final ProcessMetrics process;
    private final long startMillis = System.currentTimeMillis();

    VarzWriter(DerpMetrics metrics, MeterRegistry registry, ProcessMetrics process) {
        this.metrics = metrics;
        this.registry = registry;
        this.process = process;
    }

    public String render() {
        StringBuilder out = new StringBuilder(8192);
        metrics.counters().forEach((name, v) -> series(out, "derp_" + name, "counter", v));
        out.append("# TYPE derp_packets_received_kind counter\n")
                .append("derp_packets_received_kind{kind=\"disco\"} ").append(metrics.packetsReceivedDisco.sum()).append('\n')
                .append("derp_packets_received_kind{kind=\"other\"} ").append(metrics.packetsReceivedOther.sum()).append('\n');
        metrics.gauges().forEach((name, v) -> series(out, "derp_" + name, "gauge", v));
        series(out, "derp_current_file_descriptors", "gauge", process.currentFileDescriptors());
        series(out, "derp_memstats_sys0", "gauge", process.memstatsSys0());
        out.append("derp_average_queue_duration_ms ").append(metrics.averageQueueDurationMs()).append('\n');
        out.append("# TYPE derp_packets_dropped counter\n# HELP derp_packets_dropped DERP packets dropped by reason and by kind\n");
        metrics.forEachDrop((reason, kind, packets, bytes) -> out.append("derp_packets_dropped{reason=\"").append(reason)
                .append("\",kind=\"").append(kind).append("\"} ").append(packets).append('\n'));
        out.append("# TYPE derp_bytes_dropped counter\n# HELP derp_bytes_dropped DERP bytes dropped by reason and by kind\n");
        metrics.forEachDrop((reason, kind, packets, bytes) -> out.append("derp_bytes_dropped{reason=\"").append(reason)
                .append("\",kind=\"").append(kind).append("\"} ").append(bytes).append('\n'));
        out.append("# TYPE derp_tcp_rtt counter\n");
        metrics.forEachTcpRtt((le, n) -> out.append("derp_tcp_rtt{le=\"").append(le).append("\"} ").append(n).append('\n'));
        histograms(out);
        foreignMeters(out);
        long now = System.currentTimeMillis();
        out.append("process_start_unix_time ").append(startMillis / 1000).append('\n');
        out.append("uptime_sec ").append((now - startMillis) / 1000).append('\n');
        out.append("version{version=\"").append(Version.current()).append("\",binary=\"jderper\"} 1\n");
        out.append("go_version{version=\"java ").append(System.getProperty("java.version")).append("\"} 1\n");
        out.append("goroutines ").append(ManagementFactory.getThreadMXBean().getThreadCount()).append('\n');
        return out.toString();
    }

    private static void series(StringBuilder out, String name, String type, Number v) {
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        out.append(name).append(' ').append(v.longValue()).append('\n');
    }

    /** derp_* distribution summaries with fixed buckets, in the original's histogram layout (cumulative buckets). */
    private void histograms(StringBuilder out) {
        Map<String, DistributionSummary> byName = new TreeMap<>();
        for (Meter m : registry.getMeters()) {
            if (m instanceof DistributionSummary s && m.getId().getName().startsWith("derp_") && m.getId().getTags().isEmpty()) {
                byName.put(m.getId().getName(), s);
            }
        }
        byName.forEach((name, summary) -> {
            HistogramSnapshot snap = summary.takeSnapshot();
            out.append("# TYPE ").append(name).append(" histogram\n");
            for (CountAtBucket b : snap.histogramCounts()) {
                out.append(name).append("_bucket{le=\"").append(number(b.bucket())).append("\"} ")
                        .append((long) b.count()).append('\n');
            }
            out.append(name).append("_bucket{le=\"+Inf\"} ").append(snap.count()).append('\n');
            out.append(name).append("_sum ").append(number(snap.total())).append('\n');
            out.append(name).append("_count ").append(snap.count()).append('\n');
        });
    }

    /** Integral values without a fraction, as Go's %v prints them. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** STUN, bootstrap DNS and accept-limiter counters live in Micrometer; print them under their own names. */
    private void foreignMeters(StringBuilder out) {
        Map<String, List<Meter>> byName = new TreeMap<>(registry.getMeters().stream()
                .filter(m -> FOREIGN_PREFIXES.stream().anyMatch(p -> m.getId().getName().startsWith(p)))
                .collect(Collectors.groupingBy(m -> m.getId().getName())));
        byName.forEach((name, meters) -> {
            boolean gauge = meters.get(0) instanceof Gauge;
            out.append("# TYPE ").append(name).append(gauge ? " gauge" : " counter").append('\n');
            for (Meter m : meters) {
                out.append(name);
                List<Tag> tags = m.getId().getTags();
                if (!tags.isEmpty()) {
                    out.append('{').append(tags.stream().map(t -> t.getKey() + "=\"" + t.getValue() + "\"")
                            .collect(Collectors.joining(","))).append('}');
                }
                out.append(' ').append((long) value(m)).append('\n');
            }
        });
    }

    private static double value(Meter m) {
        if (m instanceof Counter c) {
            return c.count();
        }
        if (m instanceof FunctionCounter c) {
            return c.count();
        }
        if (m instanceof Gauge g) {
            return g.value();
        }
        return 0;
    }
}
