package io.jderper.deploy;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one memory formula (docs/performance.md, "Memory"; values.yaml, jvmMemory), written out here so that the
 * chart, the Dockerfile, the compose file and the documentation's table can each be checked against it.
 *
 * @param metaspaceMiB  -XX:MaxMetaspaceSize
 * @param codeCacheMiB  -XX:ReservedCodeCacheSize
 * @param stackKiB      -Xss
 * @param threads       threads budgeted at -Xss each
 * @param nativeMiB     the JVM's other native memory (its code, CDS archive, symbols, GC and compiler arenas)
 * @param heapPercent   share of what is left that goes to the heap; the remainder is direct memory
 */
record JvmMemory(int metaspaceMiB, int codeCacheMiB, int stackKiB, int threads, int nativeMiB, int heapPercent) {

    static JvmMemory fromValues(Map<String, Object> values) {
        Map<String, Object> m = YamlTrees.mapAt(values, "jvmMemory");
        return new JvmMemory(num(m, "metaspaceMiB"), num(m, "codeCacheMiB"), num(m, "stackKiB"), num(m, "threads"),
                num(m, "nativeMiB"), num(m, "heapPercent"));
    }

    static JvmMemory chartDefaults() {
        return fromValues(HelmChart.defaultValues());
    }

    int stacksMiB() {
        return (threads * stackKiB + 1023) / 1024;
    }

    int fixedMiB() {
        return metaspaceMiB + codeCacheMiB + stacksMiB() + nativeMiB;
    }

    /** The sizes for a container limit of {@code limitMiB}. */
    Sizes forLimit(int limitMiB) {
        int rest = limitMiB - fixedMiB();
        int heap = rest * heapPercent / 100;
        return new Sizes(heap, rest - heap, metaspaceMiB, codeCacheMiB, stackKiB);
    }

    private static int num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).intValue();
    }

    /** The JVM's memory options, as parsed back from a command line. */
    record Sizes(int heapMiB, int directMiB, int metaspaceMiB, int codeCacheMiB, int stackKiB) {

        private static final Pattern XMX = Pattern.compile("(?:^|\\s)-Xmx(\\d+)([mMgG])(?:\\s|$)");
        private static final Pattern DIRECT = Pattern.compile("-XX:MaxDirectMemorySize=(\\d+)([mMgG])(?:\\s|$)");
        private static final Pattern META = Pattern.compile("-XX:MaxMetaspaceSize=(\\d+)([mMgG])(?:\\s|$)");
        private static final Pattern CODE = Pattern.compile("-XX:ReservedCodeCacheSize=(\\d+)([mMgG])(?:\\s|$)");
        private static final Pattern XSS = Pattern.compile("(?:^|\\s)-Xss(\\d+)([kKmM])(?:\\s|$)");

        /** Parses JDK_JAVA_OPTIONS; every size must be given explicitly (a missing one fails the test). */
        static Sizes parse(String options) {
            return new Sizes(mib(XMX, options), mib(DIRECT, options), mib(META, options), mib(CODE, options),
                    kib(XSS, options));
        }

        /** What the JVM may use at most with these sizes and {@code threads} threads, plus the native reserve. */
        int worstCaseMiB(JvmMemory budget) {
            return heapMiB + directMiB + metaspaceMiB + codeCacheMiB
                    + (budget.threads() * stackKiB + 1023) / 1024 + budget.nativeMiB();
        }

        private static int mib(Pattern p, String options) {
            java.util.regex.MatchResult m = one(p, options);
            int n = Integer.parseInt(m.group(1));
            return m.group(2).equalsIgnoreCase("g") ? n * 1024 : n;
        }

        private static int kib(Pattern p, String options) {
            java.util.regex.MatchResult m = one(p, options);
            int n = Integer.parseInt(m.group(1));
            return m.group(2).equalsIgnoreCase("m") ? n * 1024 : n;
        }

        private static java.util.regex.MatchResult one(Pattern p, String options) {
            java.util.List<java.util.regex.MatchResult> found = p.matcher(options).results().toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one " + p.pattern() + " in JVM options, found " + found.size()
                        + ": " + options);
            }
            return found.get(0);
        }
    }

    /** A Kubernetes or Compose memory quantity in MiB, rounded down: 768Mi, 1Gi, 512m (Compose), 805306368. */
    static int quantityMiB(String quantity) {
        Matcher m = Pattern.compile("^(\\d+(?:\\.\\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T|kb|mb|gb|b|m|g)?$").matcher(quantity.strip());
        if (!m.matches()) {
            throw new AssertionError("not a memory quantity: " + quantity);
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        double factor = switch (unit) {
            case "", "b" -> 1;
            case "Ki" -> 1024;
            case "Mi" -> 1024 * 1024;
            case "Gi" -> 1024.0 * 1024 * 1024;
            case "Ti" -> 1024.0 * 1024 * 1024 * 1024;
            case "k" -> 1000;
            case "M" -> 1e6;
            case "G" -> 1e9;
            case "T" -> 1e12;
            // Compose (docker) units are binary: 512m = 512 MiB.
            case "K", "kb" -> 1024;
            case "m", "mb" -> 1024 * 1024;
            case "g", "gb" -> 1024.0 * 1024 * 1024;
            default -> throw new AssertionError(unit);
        };
        return (int) Math.floor(n * factor / (1024 * 1024));
    }
}
