package io.jderper.server;

import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Opens ClientInfo boxes on a small pool instead of the event loops. The X25519 behind each box costs about 0.1 ms
 * of CPU, so a reconnect storm of thousands of clients (a sibling restarting, a region failing over) would otherwise
 * stall every relayed packet on the affected loops for as long as the storm lasts. The pool's queue is bounded; when
 * it is full the work runs on the calling loop, so a flood costs latency, never memory.
 */
public final class HandshakeCrypto {
    /** The outcome: the box (for sealing ServerInfo) and the plaintext, or nulls when the box would not open. */
    record Opened(NaclBox box, byte[] plaintext) {
        boolean ok() {
            return plaintext != null;
        }
    }

    static final int QUEUE_CAPACITY = 4096;

    /** Null when every key exchange runs on the calling loop. */
    private final ThreadPoolExecutor pool;
    private final LongAdder ranOnLoop = new LongAdder();

    private HandshakeCrypto(ThreadPoolExecutor pool) {
        this.pool = pool;
    }

    /** The production setting: a pool of {@code threads} daemon threads, present only while handshakes arrive. */
    public static HandshakeCrypto pooled(int threads) {
        return pooled(threads, QUEUE_CAPACITY);
    }

    static HandshakeCrypto pooled(int threads, int queueCapacity) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), new DefaultThreadFactory("derp-handshake", true));
        // Idle servers keep no threads; a test JVM with many application contexts keeps no stale pools either.
        pool.allowCoreThreadTimeOut(true);
        return new HandshakeCrypto(pool);
    }

    /**
     * Every key exchange on the calling loop, synchronously: for single-threaded harnesses (embedded channels in
     * fuzzers and benchmarks), whose loops cannot take tasks from other threads.
     */
    public static HandshakeCrypto onCallingThread() {
        return new HandshakeCrypto(null);
    }

    /** Threads for a machine: half the cores, as many as the relay's event loops get by default. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    /** Opens {@code sealed} from {@code peer}, then runs {@code then} on {@code loop}. */
    void open(NodePrivateKey own, NodePublicKey peer, byte[] sealed, EventExecutor loop, Consumer<Opened> then) {
        if (pool == null) {
            then.accept(compute(own, peer, sealed));
            return;
        }
        try {
            pool.execute(() -> {
                Opened opened = compute(own, peer, sealed);
                try {
                    loop.execute(() -> then.accept(opened));
                } catch (RejectedExecutionException loopGone) {
                    // The loop shut down with the server: its connections, this one included, are closed already.
                }
            });
        } catch (RejectedExecutionException saturated) {
            ranOnLoop.increment();
            then.accept(compute(own, peer, sealed));
        }
    }

    /** How often a saturated pool made the calling loop do the work itself. */
    long ranOnLoop() {
        return ranOnLoop.sum();
    }

    private static Opened compute(NodePrivateKey own, NodePublicKey peer, byte[] sealed) {
        try {
            NaclBox box = NaclBox.between(own, peer);
            return new Opened(box, box.open(sealed).orElse(null));
        } catch (RuntimeException e) {
            // A key the curve arithmetic rejects is a client error like any box that does not open.
            return new Opened(null, null);
        }
    }
}
