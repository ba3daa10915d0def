package io.jderper.ops;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;

/**
 * {@code /debug/threads}: every platform thread with its full stack, held monitors and ownable synchronizers, in a
 * jstack-like text layout (the counterpart of the original's goroutine profile). Deadlocks are reported first.
 */
final class ThreadDump {
    private ThreadDump() {
    }

    static String render() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ThreadInfo[] infos = threads.dumpAllThreads(threads.isObjectMonitorUsageSupported(),
                threads.isSynchronizerUsageSupported());
        Arrays.sort(infos, Comparator.comparing(ThreadInfo::getThreadName));
        StringBuilder out = new StringBuilder(64 * 1024);
        out.append("Thread dump at ").append(Instant.now()).append(" (").append(infos.length).append(" threads, ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.vm.version"))
                .append(")\n\n");
        long[] deadlocked = threads.isSynchronizerUsageSupported() ? threads.findDeadlockedThreads()
                : threads.findMonitorDeadlockedThreads();
        if (deadlocked != null && deadlocked.length > 0) {
            out.append("DEADLOCK among thread ids ").append(Arrays.toString(deadlocked)).append("\n\n");
        }
        for (ThreadInfo t : infos) {
            if (t != null) {
                thread(out, t, threads);
            }
        }
        return out.toString();
    }

    private static void thread(StringBuilder out, ThreadInfo t, ThreadMXBean threads) {
        out.append('"').append(t.getThreadName()).append("\" #").append(t.getThreadId());
        if (t.isDaemon()) {
            out.append(" daemon");
        }
        out.append(" prio=").append(t.getPriority());
        long cpu = threads.isThreadCpuTimeEnabled() ? threads.getThreadCpuTime(t.getThreadId()) : -1;
        if (cpu >= 0) {
            out.append(" cpu=").append(cpu / 1_000_000).append("ms");
        }
        out.append('\n').append("   java.lang.Thread.State: ").append(t.getThreadState());
        if (t.getLockName() != null) {
            out.append(" on ").append(t.getLockName());
            if (t.getLockOwnerName() != null) {
                out.append(" owned by \"").append(t.getLockOwnerName()).append("\" #").append(t.getLockOwnerId());
            }
        }
        out.append('\n');
        StackTraceElement[] stack = t.getStackTrace();
        MonitorInfo[] monitors = t.getLockedMonitors();
        for (int i = 0; i < stack.length; i++) {
            out.append("\tat ").append(stack[i]).append('\n');
            for (MonitorInfo m : monitors) {
                if (m.getLockedStackDepth() == i) {
                    out.append("\t- locked ").append(lock(m)).append('\n');
                }
            }
        }
        LockInfo[] synchronizers = t.getLockedSynchronizers();
        if (synchronizers.length > 0) {
            out.append("\n   Locked ownable synchronizers:\n");
            for (LockInfo l : synchronizers) {
                out.append("\t- ").append(lock(l)).append('\n');
            }
        }
        out.append('\n');
    }

    private static String lock(LockInfo l) {
        return "<0x" + Integer.toHexString(l.getIdentityHashCode()) + "> (a " + l.getClassName() + ")";
    }
}
