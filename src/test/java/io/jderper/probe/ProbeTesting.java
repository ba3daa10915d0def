package io.jderper.probe;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Waiting on a live prober. Attempts on a loaded machine may time out at first, so tests wait for the outcome. */
final class ProbeTesting {
    private ProbeTesting() {
    }

    /** Waits until every named probe's last attempt succeeded. */
    static Map<String, ProbeInfo> awaitSuccess(Prober prober, Duration timeout, String... names) throws InterruptedException {
        return await(prober, timeout, p -> ProbeInfo.SUCCEEDED.equals(p.lastResult()), "succeeded", names);
    }

    /** Waits until every named probe's last attempt failed. */
    static Map<String, ProbeInfo> awaitFailure(Prober prober, Duration timeout, String... names) throws InterruptedException {
        return await(prober, timeout, ProbeInfo::failing, "failed", names);
    }

    static Map<String, ProbeInfo> await(Prober prober, Duration timeout, Predicate<ProbeInfo> condition, String what,
                                        String... names) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, ProbeInfo> probes = prober.probeInfo();
            boolean all = true;
            for (String n : names) {
                ProbeInfo p = probes.get(n);
                all &= p != null && condition.test(p);
            }
            if (all) {
                return probes;
            }
            if (System.nanoTime() > deadline) {
                StringBuilder sb = new StringBuilder("timed out after " + timeout + " waiting until " + List.of(names)
                        + " " + what + "; probes now:");
                probes.values().forEach(p -> sb.append("\n  ").append(p.name()).append(": ").append(p.lastResult())
                        .append(p.error().isEmpty() ? "" : " (" + p.error() + ")"));
                throw new AssertionError(sb.toString());
            }
            Thread.sleep(100);
        }
    }
}
