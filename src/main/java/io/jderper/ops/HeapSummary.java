package io.jderper.ops;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;

import javax.management.ObjectName;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;

/**
 * {@code /debug/heap}: memory areas, direct buffers (where relayed packets live), collector totals, and the top of a
 * class histogram taken through the HotSpot DiagnosticCommand MBean (what {@code jcmd <pid> GC.class_histogram}
 * runs, without a child process). The histogram walks the heap at a safepoint: it pauses the JVM briefly, longer on
 * large heaps. By default it counts all objects without forcing a collection; {@code live=true} collects first.
 */
final class HeapSummary {
    static final int DEFAULT_TOP = 40;
    static final int MAX_TOP = 2000;

    private HeapSummary() {
    }

    static String render(int top, boolean live) {
        StringBuilder out = new StringBuilder(16 * 1024);
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        MemoryUsage nonHeap = ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage();
        usage(out, "Heap", heap);
        usage(out, "Non-heap", nonHeap);
        out.append("\nMemory pools:\n");
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            usage(out, "  " + pool.getName() + " (" + pool.getType() + ")", pool.getUsage());
        }
        out.append("\nBuffer pools:\n");
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            out.append("  ").append(pool.getName()).append(": ").append(pool.getCount()).append(" buffers, ")
                    .append(mib(pool.getMemoryUsed())).append(" used, ").append(mib(pool.getTotalCapacity()))
                    .append(" capacity\n");
        }
        out.append("  netty direct (no cleaner): ").append(mib(PlatformDependent.usedDirectMemory()))
                .append(" used of ").append(mib(PlatformDependent.maxDirectMemory())).append(" max\n");
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        if (alloc instanceof ByteBufAllocatorMetricProvider p) {
            out.append("  netty default allocator (").append(alloc.getClass().getSimpleName()).append("): ")
                    .append(mib(p.metric().usedDirectMemory())).append(" direct, ")
                    .append(mib(p.metric().usedHeapMemory())).append(" heap\n");
        }
        out.append("\nGarbage collectors:\n");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            out.append("  ").append(gc.getName()).append(": ").append(gc.getCollectionCount()).append(" collections, ")
                    .append(gc.getCollectionTime()).append(" ms\n");
        }
        out.append("\nClass histogram (").append(live ? "live objects, after a full collection" : "all objects")
                .append(", top ").append(top).append("):\n");
        out.append(histogramTop(classHistogram(live), top));
        return out.toString();
    }

    static String classHistogram(boolean live) {
        try {
            Object result = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[]{live ? new String[0] : new String[]{"-all"}}, new String[]{String[].class.getName()});
            return String.valueOf(result);
        } catch (Exception | LinkageError e) {
            return "class histogram unavailable on this JVM: " + e + "\n";
        }
    }

    /** Keeps the header, the first {@code top} rows and the Total line of jcmd's histogram text. */
    static String histogramTop(String histogram, int top) {
        String[] lines = histogram.split("\n");
        StringBuilder out = new StringBuilder();
        int rows = 0;
        boolean skipped = false;
        for (String line : lines) {
            String trimmed = line.strip();
            boolean row = !trimmed.isEmpty() && Character.isDigit(trimmed.charAt(0)) && trimmed.contains(":");
            if (row) {
                if (rows++ >= top) {
                    skipped = true;
                    continue;
                }
            } else if (trimmed.startsWith("Total") && skipped) {
                out.append("   ...\n");
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private static void usage(StringBuilder out, String name, MemoryUsage u) {
        out.append(name).append(": used ").append(mib(u.getUsed())).append(", committed ").append(mib(u.getCommitted()))
                .append(", max ").append(u.getMax() < 0 ? "unbounded" : mib(u.getMax())).append('\n');
    }

    private static String mib(long bytes) {
        if (bytes < 0) {
            return "n/a";
        }
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
