package io.jderper.server;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The send path's destination lookup: fill the per-loop probe from the frame bytes, one map get, read the active
 * connection. {@code hot}: every thread cycles through at most 64 destinations (a busy relay's working set stays in
 * cache); {@code spread}: each thread walks all registered keys in random order, so most lookups miss the CPU caches.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@Threads(2)
public class RegistryLookupBenchmark {
    private static final int HOT = 64;

    @Param({"4", "100000"})
    int peers;

    ClientRegistry registry;
    List<NodePublicKey> keys;

    @Setup
    public void setup() {
        DerpMetrics metrics = new DerpMetrics();
        registry = new ClientRegistry(metrics);
        RelayContext ctx = BenchFixtures.relayContext(registry, metrics);
        ChannelHandlerContext channel = BenchFixtures.idleContext();
        keys = new ArrayList<>(peers);
        for (int i = 0; i < peers; i++) {
            NodePublicKey key = BenchFixtures.randomKey();
            keys.add(key);
            registry.register(new ClientConnection(ctx, channel, key, BenchFixtures.REMOTE, false, false, false));
        }
    }

    /** Per thread: destination keys laid out as in frames, and the reusable probe. */
    @State(Scope.Thread)
    public static class Destinations {
        final NodeKeyProbe probe = new NodeKeyProbe();
        ByteBuf hot;
        int hotCount;
        ByteBuf spread;
        int spreadCount;
        int hotNext;
        int spreadNext;

        @Setup
        public void setup(RegistryLookupBenchmark b) {
            List<NodePublicKey> shuffled = new ArrayList<>(b.keys);
            Collections.shuffle(shuffled);
            hotCount = Math.min(HOT, shuffled.size());
            hot = Unpooled.directBuffer(hotCount * 32);
            for (int i = 0; i < hotCount; i++) {
                shuffled.get(i).writeTo(hot);
            }
            spreadCount = shuffled.size();
            spread = Unpooled.directBuffer(spreadCount * 32);
            for (NodePublicKey k : shuffled) {
                k.writeTo(spread);
            }
        }
    }

    @Benchmark
    public ClientConnection hot(Destinations d) {
        int i = d.hotNext;
        d.hotNext = i + 1 == d.hotCount ? 0 : i + 1;
        PeerEntry e = registry.lookup(d.probe.fill(d.hot, i << 5));
        return e == null ? null : e.active;
    }

    @Benchmark
    public ClientConnection spread(Destinations d) {
        int i = d.spreadNext;
        d.spreadNext = i + 1 == d.spreadCount ? 0 : i + 1;
        PeerEntry e = registry.lookup(d.probe.fill(d.spread, i << 5));
        return e == null ? null : e.active;
    }
}
