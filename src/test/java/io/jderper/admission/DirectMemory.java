package io.jderper.admission;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;

/** Direct memory in use, for the tests that bound what hostile clients can make the server hold. */
final class DirectMemory {
    private DirectMemory() {
    }

    /** Netty's own count where it tracks direct memory, else the default allocator's figure (0 without one). */
    static long used() {
        long tracked = PlatformDependent.usedDirectMemory();
        if (tracked >= 0) {
            return tracked;
        }
        return Math.max(allocator(), 0);
    }

    /** The default allocator's direct memory in use, or -1 when it does not report one. */
    static long allocator() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider m ? m.metric().usedDirectMemory() : -1;
    }
}
