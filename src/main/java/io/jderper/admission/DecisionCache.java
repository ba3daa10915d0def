package io.jderper.admission;

import io.jderper.server.ClientAdmission;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Recent admission decisions by key, bounded in age and count. A lookup that finds a decision still being made joins
 * it, so a thousand simultaneous reconnects of one node cost one request. The age of an entry counts from the moment
 * its decision completed. Oldest entries go first when the cache is full.
 */
final class DecisionCache<K> {
    private final long ttlNanos;
    private final int maxSize;
    private final LongSupplier clock;
    private final LinkedHashMap<K, Entry> entries = new LinkedHashMap<>();

    private static final class Entry {
        final CompletableFuture<ClientAdmission.Decision> decision;
        volatile long completedAt;
        volatile boolean completed;

        Entry(CompletableFuture<ClientAdmission.Decision> decision) {
            this.decision = decision;
        }
    }

    DecisionCache(long ttlNanos, int maxSize, LongSupplier clock) {
        this.ttlNanos = ttlNanos;
        this.maxSize = maxSize;
        this.clock = clock;
    }

    boolean enabled() {
        return ttlNanos > 0 && maxSize > 0;
    }

    /** Returns the cached or in-flight decision for {@code key}, or starts one with {@code load}. */
    CompletableFuture<ClientAdmission.Decision> get(K key, Supplier<CompletableFuture<ClientAdmission.Decision>> load,
                                                    Runnable onHit) {
        if (!enabled()) {
            return load.get();
        }
        Entry entry;
        synchronized (this) {
            long now = clock.getAsLong();
            Entry e = entries.get(key);
            if (e != null && (!e.completed || now - e.completedAt < ttlNanos)) {
                onHit.run();
                return e.decision;
            }
            entry = new Entry(new CompletableFuture<>());
            entries.remove(key);
            entries.put(key, entry);
            evict();
        }
        load.get().whenComplete((d, err) -> {
            entry.completedAt = clock.getAsLong();
            entry.completed = true;
            if (err != null) {
                entry.decision.completeExceptionally(err);
            } else {
                entry.decision.complete(d);
            }
        });
        return entry.decision;
    }

    private void evict() {
        if (entries.size() <= maxSize) {
            return;
        }
        for (Iterator<Map.Entry<K, Entry>> it = entries.entrySet().iterator(); it.hasNext() && entries.size() > maxSize; ) {
            it.next();
            it.remove();
        }
    }

    synchronized int size() {
        return entries.size();
    }
}
