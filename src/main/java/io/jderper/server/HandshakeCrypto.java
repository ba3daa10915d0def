package io.jderper.server;

import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Opens ClientInfo boxes on a small pool instead of the event loops. The X25519 behind each box costs about 0.1 ms
 * of CPU, so a reconnect storm of thousands of clients (a sibling restarting, a region failing over) would otherwise
 * stall every relayed packet on the affected loops for as long as the storm lasts. The pool's queue is bounded; when
 * it is full the work runs on the calling loop, so a flood costs latency, never memory.
 *
 * <p>Two things keep a storm cheap and the established connections fast:
 * <ul>
 * <li>The box of a recently seen client key is kept ({@value #BOX_CACHE_CAPACITY} slots), so a client that
 * reconnects, or many connections of one key at once, costs one X25519 and not one each; such a box opens on the
 * calling loop at once (a few microseconds: XSalsa20-Poly1305 of a short document).</li>
 * <li>Results go back to each loop through one queue, at most {@value #HANDOFF_BATCH} per loop iteration: a burst of
 * finished key exchanges wakes the loop once, and the loop handles its sockets' I/O between batches instead of
 * registering hundreds of clients in one go while relayed packets wait.</li>
 * </ul>
 */
public final class HandshakeCrypto {
    private static final Logger log = LoggerFactory.getLogger(HandshakeCrypto.class);

    /** The outcome: the box (for sealing ServerInfo) and the plaintext, or nulls when the box would not open. */
    record Opened(NaclBox box, byte[] plaintext) {
        boolean ok() {
            return plaintext != null;
        }
    }

    static final int QUEUE_CAPACITY = 4096;
    /** Finished handshakes a loop takes per iteration; the rest wait until its sockets were served. */
    static final int HANDOFF_BATCH = 8;
    /** Client keys whose box is kept: 4,096 slots of about 100 bytes each. A power of two. */
    static final int BOX_CACHE_CAPACITY = 4096;

    /** A kept box, valid only for the server key it was made with (a test JVM may run several servers). */
    private record KeptBox(NodePublicKey peer, NodePrivateKey own, NaclBox box) {
    }

    /** Null when every key exchange runs on the calling loop. */
    private final ThreadPoolExecutor pool;
    private final LongAdder ranOnLoop = new LongAdder();
    private final LongAdder keyExchanges = new LongAdder();
    /**
     * Direct-mapped by the key's hash: a newer key takes the slot of an older one, so keeping costs no eviction
     * bookkeeping. Records with final fields are safe to publish through the plain array; a racing reader sees the
     * old entry, the new one or nothing, each of which is correct.
     */
    private final KeptBox[] boxes = new KeptBox[BOX_CACHE_CAPACITY];
    private final ConcurrentHashMap<EventExecutor, Handoff> handoffs = new ConcurrentHashMap<>();

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

    /**
     * Opens {@code sealed} from {@code peer}, then runs {@code then} on {@code loop}: at once when the peer's box is
     * kept or the pool is saturated, otherwise from a later task on that loop.
     */
    void open(NodePrivateKey own, NodePublicKey peer, byte[] sealed, EventExecutor loop, Consumer<Opened> then) {
        NaclBox kept = keptBox(own, peer);
        if (kept != null) {
            then.accept(openWith(kept, sealed));
            return;
        }
        if (pool == null) {
            then.accept(compute(own, peer, sealed));
            return;
        }
        Handoff handoff = handoff(loop);
        try {
            pool.execute(() -> {
                Opened opened = compute(own, peer, sealed);
                handoff.post(() -> then.accept(opened));
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

    /** X25519 scalar multiplications done so far (kept boxes need none). */
    long keyExchanges() {
        return keyExchanges.sum();
    }

    private NaclBox keptBox(NodePrivateKey own, NodePublicKey peer) {
        KeptBox k = boxes[slot(peer)];
        return k != null && k.own() == own && k.peer().equals(peer) ? k.box() : null;
    }

    private static int slot(NodePublicKey peer) {
        int h = peer.hashCode();
        return (h ^ (h >>> 16)) & (BOX_CACHE_CAPACITY - 1);
    }

    private Opened compute(NodePrivateKey own, NodePublicKey peer, byte[] sealed) {
        // A storm of one key queues many copies of it before the first is done: later ones find the box kept.
        NaclBox kept = keptBox(own, peer);
        if (kept != null) {
            return openWith(kept, sealed);
        }
        NaclBox box;
        try {
            keyExchanges.increment();
            box = NaclBox.between(own, peer);
        } catch (RuntimeException e) {
            // A key the curve arithmetic rejects is a client error like any box that does not open.
            return new Opened(null, null);
        }
        Opened opened = openWith(box, sealed);
        if (opened.ok()) {
            // Only boxes that opened: keys of garbage handshakes never push out a real client's.
            boxes[slot(peer)] = new KeptBox(peer, own, box);
        }
        return opened;
    }

    private static Opened openWith(NaclBox box, byte[] sealed) {
        return new Opened(box, box.open(sealed).orElse(null));
    }

    private Handoff handoff(EventExecutor loop) {
        Handoff h = handoffs.get(loop);
        if (h != null) {
            return h;
        }
        return handoffs.computeIfAbsent(loop, l -> {
            l.terminationFuture().addListener(f -> handoffs.remove(l));
            return new Handoff(l);
        });
    }

    /**
     * The way back to one loop: finished handshakes queue here, and one task at a time drains them in batches. A
     * batch that leaves work behind schedules the next one rather than re-queueing it: Netty runs the task queue
     * until it is empty, but moves scheduled tasks into it only once per iteration, after the loop's I/O.
     */
    static final class Handoff implements Runnable {
        private final EventExecutor loop;
        private final Queue<Runnable> done = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean draining = new AtomicBoolean();

        Handoff(EventExecutor loop) {
            this.loop = loop;
        }

        /** From a pool thread (any thread). */
        void post(Runnable result) {
            done.add(result);
            if (draining.compareAndSet(false, true)) {
                try {
                    loop.execute(this);
                } catch (RejectedExecutionException loopGone) {
                    // The loop shut down with the server: its connections, these included, are closed already.
                    done.clear();
                }
            }
        }

        @Override
        public void run() {
            for (int i = 0; i < HANDOFF_BATCH; i++) {
                Runnable r = done.poll();
                if (r == null) {
                    break;
                }
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.warn("handshake continuation failed", e);
                }
            }
            if (done.isEmpty()) {
                draining.set(false);
                // A post between the poll and the reset saw draining still set and left the wake-up to us.
                if (done.isEmpty() || !draining.compareAndSet(false, true)) {
                    return;
                }
            }
            try {
                loop.schedule(this, 0, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException loopGone) {
                done.clear();
            }
        }
    }
}
