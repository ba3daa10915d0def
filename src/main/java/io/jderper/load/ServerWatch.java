package io.jderper.load;

import java.io.IOException;

/** Samples the server process (when its PID was given) around the measured parts of a run. */
final class ServerWatch {
    private final long pid;
    private ProcStats.Sample first;
    private String error;

    ServerWatch(long pid) {
        this.pid = pid;
    }

    boolean enabled() {
        return pid > 0;
    }

    ProcStats.Sample sample() {
        if (pid <= 0) {
            return null;
        }
        try {
            return ProcStats.sample(pid);
        } catch (IOException | RuntimeException e) {
            error = "cannot read /proc/" + pid + ": " + e;
            return null;
        }
    }

    void before() {
        first = sample();
    }

    ProcStats.Sample first() {
        return first;
    }

    Span startSpan() {
        return new Span();
    }

    /** CPU and RSS between two points in time. */
    final class Span {
        private final ProcStats.Sample start = sample();
        private final long startNanos = System.nanoTime();
        private ProcStats.Sample end;
        private long endNanos;

        void end() {
            end = sample();
            endNanos = System.nanoTime();
        }

        ProcStats.Sample endSample() {
            return end;
        }

        double cpuSeconds() {
            return start == null || end == null ? Double.NaN : end.cpuSeconds() - start.cpuSeconds();
        }

        /** User time alone: the JVM's own work, apart from the kernel's socket and connection handling. */
        double userSeconds() {
            return start == null || end == null ? Double.NaN : end.userSeconds() - start.userSeconds();
        }

        /** Adds the server fields; {@code perUnit} is divided into the span's CPU time (per packet, per connection). */
        void report(JsonLine json, long count, String unit) {
            if (!enabled()) {
                return;
            }
            json.put("server_pid", pid);
            if (start == null || end == null) {
                json.put("server_error", error == null ? "no sample" : error);
                return;
            }
            double cpu = cpuSeconds();
            json.put("server_cpu_s", cpu)
                    .put("server_user_s", end.userSeconds() - start.userSeconds())
                    .put("server_sys_s", end.systemSeconds() - start.systemSeconds())
                    .put("server_cpu_cores", cpu / ((endNanos - startNanos) / 1e9))
                    .put("server_rss_kib_before", (first == null ? start : first).rssKiB())
                    .put("server_rss_kib_after", end.rssKiB())
                    .put("server_threads", end.threads());
            if (count > 0) {
                json.put("server_cpu_us_per_" + unit, cpu * 1e6 / count);
            }
        }
    }
}
