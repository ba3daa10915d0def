package io.jderper.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay's bounded lock-free ring: sequential rules, then producers and consumers racing on it. */
class PacketQueueTest {

    /** Buffers that only carry an id; wrapped heap buffers are not leak-tracked and need no release. */
    private static ByteBuf item(int id) {
        return Unpooled.wrappedBuffer(new byte[]{(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
    }

    private static int id(ByteBuf b) {
        return b.getInt(0);
    }

    @Test
    void capacityIsTheRequestedDepthRoundedUpToAPowerOfTwo() {
        assertThat(new PacketQueue(32).capacity()).isEqualTo(32);
        assertThat(new PacketQueue(33).capacity()).isEqualTo(64);
        assertThat(new PacketQueue(1).capacity()).isEqualTo(2);
        assertThat(new PacketQueue(2).capacity()).isEqualTo(2);
        assertThat(new PacketQueue(3).capacity()).isEqualTo(4);
        assertThat(new PacketQueue(4096).capacity()).isEqualTo(4096);
    }

    @Test
    void firstInFirstOutWithEnqueueTimesUntilFull() {
        PacketQueue q = new PacketQueue(4);
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.poll(null)).isNull();
        for (int i = 0; i < 4; i++) {
            assertThat(q.offer(item(i), 1000 + i)).isTrue();
        }
        assertThat(q.offer(item(99), 0)).as("full").isFalse();
        assertThat(q.size()).isEqualTo(4);
        long[] at = new long[1];
        for (int i = 0; i < 4; i++) {
            ByteBuf b = q.poll(at);
            assertThat(id(b)).isEqualTo(i);
            assertThat(at[0]).isEqualTo(1000 + i);
        }
        assertThat(q.poll(at)).isNull();
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.size()).isZero();
    }

    @Test
    void wrapsAroundManyTimesWithoutLosingOrder() {
        PacketQueue q = new PacketQueue(8);
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 10_000; round++) {
            int put = 1 + round % 8;
            for (int i = 0; i < put; i++) {
                if (q.offer(item(next), 0)) {
                    next++;
                }
            }
            int take = 1 + (round * 7) % 8;
            for (int i = 0; i < take; i++) {
                ByteBuf b = q.poll(null);
                if (b == null) {
                    break;
                }
                assertThat(id(b)).isEqualTo(expected++);
            }
        }
        assertThat(q.size()).isEqualTo(next - expected);
    }

    /**
     * Four producers (the senders' event loops), the writer draining, and an evictor polling the head as the
     * drop-oldest policy does, all at once on a small ring. Every item offered successfully is taken exactly once,
     * and each taker sees every producer's items in the order they were offered. Repeated, jcstress-style, to give
     * interleavings a chance.
     */
    @RepeatedTest(20)
    void racingProducersAndTwoConsumersNeitherLoseNorDuplicateNorReorder() throws Exception {
        int producers = 4;
        int perProducer = 5_000;
        PacketQueue q = new PacketQueue(16);
        AtomicIntegerArray taken = new AtomicIntegerArray(producers * perProducer);
        AtomicIntegerArray offered = new AtomicIntegerArray(producers * perProducer);
        CyclicBarrier start = new CyclicBarrier(producers + 2);
        CountDownLatch producersDone = new CountDownLatch(producers);
        AtomicBoolean orderBroken = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            threads.add(new Thread(() -> {
                await(start);
                for (int i = 0; i < perProducer; i++) {
                    int id = producer * perProducer + i;
                    // A full ring refuses; a real sender would then evict. Retry a few times, then give the item up.
                    for (int attempt = 0; attempt < 3; attempt++) {
                        if (q.offer(item(id), System.nanoTime())) {
                            offered.set(id, 1);
                            break;
                        }
                        Thread.onSpinWait();
                    }
                }
                producersDone.countDown();
            }));
        }
        Runnable consumer = () -> {
            int[] lastSeen = new int[producers];
            java.util.Arrays.fill(lastSeen, -1);
            await(start);
            while (producersDone.getCount() > 0 || !q.isEmpty()) {
                ByteBuf b = q.poll(null);
                if (b == null) {
                    Thread.onSpinWait();
                    continue;
                }
                int id = id(b);
                taken.incrementAndGet(id);
                int producer = id / perProducer;
                if (id <= lastSeen[producer]) {
                    orderBroken.set(true);
                }
                lastSeen[producer] = id;
            }
        };
        threads.add(new Thread(consumer));
        threads.add(new Thread(consumer));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(t.isAlive()).as("thread finished").isFalse();
        }
        int delivered = 0;
        for (int id = 0; id < producers * perProducer; id++) {
            assertThat(taken.get(id)).as("item %d taken", id).isEqualTo(offered.get(id));
            delivered += taken.get(id);
        }
        assertThat(delivered).isPositive();
        assertThat(orderBroken).as("a consumer saw a producer's items out of order").isFalse();
        assertThat(q.isEmpty()).isTrue();
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
