package io.jderper.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prometheus text exposition (format 0.0.4) for the prober's metrics. Each probe contributes samples with its own
 * constant labels, like Go's per-probe collectors, so the families are assembled here rather than in a Micrometer
 * registry: samples of one name are written together under one HELP/TYPE, names in order, labels sorted by name.
 */
final class PromText implements ProbeClass.PromSink {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private record Family(String type, String help, List<String> lines) {
    }

    private final String prefix;
    private final Map<String, Family> families = new TreeMap<>();

    PromText(String namespace) {
        this.prefix = namespace.isEmpty() ? "" : namespace + "_";
    }

    @Override
    public void gauge(String name, String help, Map<String, String> labels, double value) {
        sample(name, "gauge", help, name, labels, value);
    }

    @Override
    public void counter(String name, String help, Map<String, String> labels, double value) {
        sample(name, "counter", help, name, labels, value);
    }

    /**
     * @param bounds     upper bounds, ascending
     * @param cumulative count of observations at or below each bound
     */
    @Override
    public void histogram(String name, String help, Map<String, String> labels, double[] bounds, long[] cumulative,
                   double sum, long count) {
        for (int i = 0; i < bounds.length; i++) {
            Map<String, String> withLe = new TreeMap<>(labels);
            withLe.put("le", number(bounds[i]));
            sample(name, "histogram", help, name + "_bucket", withLe, cumulative[i]);
        }
        Map<String, String> inf = new TreeMap<>(labels);
        inf.put("le", "+Inf");
        sample(name, "histogram", help, name + "_bucket", inf, count);
        sample(name, "histogram", help, name + "_sum", labels, sum);
        sample(name, "histogram", help, name + "_count", labels, count);
    }

    private void sample(String family, String type, String help, String sampleName, Map<String, String> labels,
                        double value) {
        Family f = families.computeIfAbsent(prefix + family, k -> new Family(type, help, new ArrayList<>()));
        StringBuilder line = new StringBuilder(prefix).append(sampleName);
        if (!labels.isEmpty()) {
            line.append('{');
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
                if (!first) {
                    line.append(',');
                }
                first = false;
                line.append(e.getKey()).append("=\"");
                escape(line, e.getValue());
                line.append('"');
            }
            line.append('}');
        }
        line.append(' ').append(number(value));
        f.lines().add(line.toString());
    }

    String render() {
        StringBuilder out = new StringBuilder();
        families.forEach((name, f) -> {
            out.append("# HELP ").append(name).append(' ').append(f.help()).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(f.type()).append('\n');
            f.lines().forEach(l -> out.append(l).append('\n'));
        });
        return out.toString();
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    private static void escape(StringBuilder out, String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }
}
