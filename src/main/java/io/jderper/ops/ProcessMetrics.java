package io.jderper.ops;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;

/**
 * The original's process gauges under its names: {@code derp_current_file_descriptors} (open descriptors, 0 where
 * the platform cannot tell) and {@code derp_memstats_sys0} (memory the process had taken at start; for the JVM the
 * committed heap plus non-heap, the closest analogue of Go's MemStats.Sys).
 */
final class ProcessMetrics implements MeterBinder {
    private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    private final long memstatsSys0;

    ProcessMetrics() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        memstatsSys0 = memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
    }

    long currentFileDescriptors() {
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return Math.max(0, unix.getOpenFileDescriptorCount());
        }
        return 0;
    }

    long memstatsSys0() {
        return memstatsSys0;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("derp_current_file_descriptors", this, ProcessMetrics::currentFileDescriptors)
                .description("open file descriptors of the process").register(registry);
        Gauge.builder("derp_memstats_sys0", this, ProcessMetrics::memstatsSys0)
                .description("memory committed by the JVM at start (heap plus non-heap), bytes").register(registry);
    }
}
