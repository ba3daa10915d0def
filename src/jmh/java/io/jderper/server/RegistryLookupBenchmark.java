package io.jderper.server;

import io.jderper.BenchmarkDefaults;
import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The send path's destination lookup in a registry of {@code peers} connected clients: the key table get plus the
 * read of the active connection.
 * <ul>
 * <li>{@code lookup}: key in hand, each thread cycling through at most 64 destinations (a relay's working set, warm
 * in cache). This is what the original's BenchmarkLookupDestHashTrie measures.</li>
 * <li>{@code lookupFromFrame}: the same, plus filling the reusable probe from the frame bytes, as the relay does.</li>
 * <li>{@code lookupSpread}: key in hand, walking all registered keys in random order, so that most lookups miss
 * the CPU caches (the cost of a cold destination).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(2)
public class RegistryLookupBenchmark extends BenchmarkDefaults {
    private static final int HOT = 64;

    @Param({"4", "100000"})
    int peers;

    ClientRegistry registry;
    List<NodePublicKey> keys;

    @Setup
    public void setup() {
        DerpMetrics metrics = new DerpMetrics();
        registry = new ClientRegistry(metrics);
        RelayContext ctx = RelayFixtures.relayContext(registry, metrics);
        ChannelHandlerContext channel = RelayFixtures.idleContext();
        keys = new ArrayList<>(peers);
        for (int i = 0; i < peers; i++) {
            NodePublicKey key = RelayFixtures.randomKey();
            keys.add(key);
            registry.register(new ClientConnection(ctx, channel, key, RelayFixtures.REMOTE, false, false, false));
        }
    }

    /** Per thread: destinations (as keys and as frame bytes) and the reusable probe. */
    @State(Scope.Thread)
    public static class Destinations {
        final NodeKeyProbe probe = new NodeKeyProbe();
        NodePublicKey[] hot;
        ByteBuf hotFrames;
        NodePublicKey[] all;
        int hotNext;
        int allNext;

        @Setup
        public void setup(RegistryLookupBenchmark b) {
            List<NodePublicKey> shuffled = new ArrayList<>(b.keys);
            Collections.shuffle(shuffled);
            hot = shuffled.subList(0, Math.min(HOT, shuffled.size())).toArray(new NodePublicKey[0]);
            hotFrames = Unpooled.directBuffer(hot.length * 32);
            for (NodePublicKey k : hot) {
                k.writeTo(hotFrames);
            }
            all = shuffled.toArray(new NodePublicKey[0]);
        }

        int nextHot() {
            int i = hotNext;
            hotNext = i + 1 == hot.length ? 0 : i + 1;
            return i;
        }
    }

    @Benchmark
    public ClientConnection lookup(Destinations d) {
        PeerEntry e = registry.lookup(d.hot[d.nextHot()]);
        return e == null ? null : e.active;
    }

    @Benchmark
    public ClientConnection lookupFromFrame(Destinations d) {
        PeerEntry e = registry.lookup(d.probe.fill(d.hotFrames, d.nextHot() << 5));
        return e == null ? null : e.active;
    }

    @Benchmark
    public ClientConnection lookupSpread(Destinations d) {
        int i = d.allNext;
        d.allNext = i + 1 == d.all.length ? 0 : i + 1;
        PeerEntry e = registry.lookup(d.all[i]);
        return e == null ? null : e.active;
    }
}
