package io.jderper.server;

import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Bounded lock-free multi-producer multi-consumer ring of outgoing frames (Vyukov's sequence-per-slot design).
 * Producers are the event loops of sending clients; besides the owning connection's writer they may also poll, which
 * is how the relay drops the oldest packet of a full queue without blocking anyone.
 */
final class PacketQueue {
    private final int mask;
    private final AtomicLongArray sequence;
    private final ByteBuf[] frames;
    private final long[] enqueuedAt;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();

    PacketQueue(int minCapacity) {
        // The next power of two, and at least two slots: the sequence-per-slot scheme needs one to tell full from empty.
        int capacity = Math.max(2, minCapacity <= 1 ? 1 : Integer.highestOneBit(minCapacity - 1) << 1);
        mask = capacity - 1;
        sequence = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) {
            sequence.set(i, i);
        }
        frames = new ByteBuf[capacity];
        enqueuedAt = new long[capacity];
    }

    int capacity() {
        return mask + 1;
    }

    /** Adds a frame unless the queue is full. */
    boolean offer(ByteBuf frame, long nanoTime) {
        long pos = tail.get();
        for (;;) {
            int slot = (int) pos & mask;
            long seq = sequence.get(slot);
            long diff = seq - pos;
            if (diff == 0) {
                if (tail.compareAndSet(pos, pos + 1)) {
                    frames[slot] = frame;
                    enqueuedAt[slot] = nanoTime;
                    sequence.lazySet(slot, pos + 1);
                    return true;
                }
                pos = tail.get();
            } else if (diff < 0) {
                return false;
            } else {
                pos = tail.get();
            }
        }
    }

    /** Removes the oldest frame, or returns null when empty. The enqueue time goes to {@code timeOut[0]}. */
    ByteBuf poll(long[] timeOut) {
        long pos = head.get();
        for (;;) {
            int slot = (int) pos & mask;
            long seq = sequence.get(slot);
            long diff = seq - (pos + 1);
            if (diff == 0) {
                if (head.compareAndSet(pos, pos + 1)) {
                    ByteBuf frame = frames[slot];
                    if (timeOut != null) {
                        timeOut[0] = enqueuedAt[slot];
                    }
                    frames[slot] = null;
                    sequence.lazySet(slot, pos + mask + 1);
                    return frame;
                }
                pos = head.get();
            } else if (diff < 0) {
                return null;
            } else {
                pos = head.get();
            }
        }
    }

    boolean isEmpty() {
        return head.get() >= tail.get();
    }

    int size() {
        long s = tail.get() - head.get();
        return (int) Math.max(0, Math.min(s, capacity()));
    }
}
