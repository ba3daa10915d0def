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
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code /debug/vars}: the same figures as {@code /debug/varz} as one JSON object, shaped like the original's expvar
 * page: the relay's set under {@code "derp"} with expvar key names ({@code gauge_}/{@code counter_} prefixes), other
 * modules under their metric names, and JVM memory in place of Go's {@code memstats}.
 */
final class VarsWriter {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final DerpMetrics metrics;
    private final MeterRegistry registry;
    private final ProcessMetrics process;
    private final long startMillis = System.currentTimeMillis();

    VarsWriter(DerpMetrics metrics, MeterRegistry registry, ProcessMetrics process) {
        this.metrics = metrics;
        this.registry = registry;
        this.process = process;
    }

    String render() {
        Map<String, Object> root = new TreeMap<>();
        root.put("derp", derp());
        root.put("memstats", memory());
        root.put("uptime_sec", (System.currentTimeMillis() - startMillis) / 1000);
        root.put("version", Version.current());
        foreign(root);
        return JSON.writeValueAsString(root) + "\n";
    }

    private Map<String, Object> derp() {
        Map<String, Object> d = new TreeMap<>();
        metrics.gauges().forEach((k, v) -> d.put("gauge_" + k, v));
        metrics.counters().forEach((k, v) -> d.put(k.equals("total_dup_client_conns") ? "counter_" + k : k, v));
        d.put("gauge_current_file_descriptors", process.currentFileDescriptors());
        d.put("gauge_memstats_sys0", process.memstatsSys0());
        d.put("average_queue_duration_ms", metrics.averageQueueDurationMs());
        Map<String, Object> byKind = new TreeMap<>();
        byKind.put("disco", metrics.packetsReceivedDisco.sum());
        byKind.put("other", metrics.packetsReceivedOther.sum());
        d.put("counter_packets_received_kind", byKind);
        d.put("version", Version.current());
        Map<String, Object> packets = new TreeMap<>();
        Map<String, Object> bytes = new TreeMap<>();
        metrics.forEachDrop((reason, kind, p, b) -> {
            packets.put(reason + "/" + kind, p);
            bytes.put(reason + "/" + kind, b);
        });
        d.put("counter_packets_dropped", packets);
        d.put("counter_bytes_dropped", bytes);
        for (Meter m : registry.getMeters()) {
            String name = m.getId().getName();
            if (m instanceof DistributionSummary s && name.startsWith("derp_") && m.getId().getTags().isEmpty()) {
                d.put("counter_" + name.substring("derp_".length()), histogram(s.takeSnapshot()));
            }
        }
        return d;
    }

    private static Map<String, Object> histogram(HistogramSnapshot snap) {
        Map<String, Object> h = new LinkedHashMap<>();
        for (CountAtBucket b : snap.histogramCounts()) {
            h.put(VarzWriter.number(b.bucket()), (long) b.count());
        }
        h.put("+Inf", snap.count());
        h.put("sum", snap.total());
        h.put("count", snap.count());
        return h;
    }

    private static Map<String, Object> memory() {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("HeapUsed", mem.getHeapMemoryUsage().getUsed());
        m.put("HeapCommitted", mem.getHeapMemoryUsage().getCommitted());
        m.put("HeapMax", mem.getHeapMemoryUsage().getMax());
        m.put("NonHeapUsed", mem.getNonHeapMemoryUsage().getUsed());
        m.put("NonHeapCommitted", mem.getNonHeapMemoryUsage().getCommitted());
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        m.put("NumGC", gcCount);
        m.put("GCTimeMillis", gcMillis);
        return m;
    }

    /** stun_*, bootstrap_dns_*, tls_listener_* meters: scalar, or a map by their tag values. */
    private void foreign(Map<String, Object> root) {
        Map<String, java.util.List<Meter>> byName = registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("stun_") || m.getId().getName().startsWith("bootstrap_dns_")
                        || m.getId().getName().startsWith("tls_listener_"))
                .collect(Collectors.groupingBy(m -> m.getId().getName(), TreeMap::new, Collectors.toList()));
        byName.forEach((name, meters) -> {
            if (meters.size() == 1 && meters.get(0).getId().getTags().isEmpty()) {
                root.put(name, value(meters.get(0)));
                return;
            }
            Map<String, Object> byTags = new TreeMap<>();
            for (Meter m : meters) {
                byTags.put(m.getId().getTags().stream().map(Tag::getValue).collect(Collectors.joining("/")), value(m));
            }
            root.put(name, byTags);
        });
    }

    private static long value(Meter m) {
        if (m instanceof Counter c) {
            return (long) c.count();
        }
        if (m instanceof FunctionCounter c) {
            return (long) c.count();
        }
        if (m instanceof Gauge g) {
            return (long) g.value();
        }
        return 0;
    }
}
