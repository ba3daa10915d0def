package io.jderper.server;

import io.jderper.BenchmarkDefaults;
import io.jderper.key.NodePrivateKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * The whole relay path without sockets: bytes of {@value #BATCH} SendPacket frames arrive on the sender's channel
 * (decoder, connection handler, route, destination queue), the receiver's writer drains them as RecvPacket frames.
 * Per packet; the copy into a fresh pooled buffer stands in for the socket read.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RelayBenchmark extends BenchmarkDefaults {
    static final int BATCH = 16;

    @Param({"1200"})
    int size;

    DerpServer server;
    EmbeddedChannel sender;
    EmbeddedChannel receiver;
    byte[] input;

    @Setup
    public void setup() {
        server = RelayFixtures.server();
        NodePrivateKey a = NodePrivateKey.generate();
        NodePrivateKey b = NodePrivateKey.generate();
        sender = RelayFixtures.connected(server, a);
        receiver = RelayFixtures.connected(server, b);
        input = RelayFixtures.sendPackets(b.publicKey(), size, BATCH);
    }

    @TearDown
    public void tearDown() {
        sender.finishAndReleaseAll();
        receiver.finishAndReleaseAll();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int sendToRecv() {
        ByteBuf in = ByteBufAllocator.DEFAULT.directBuffer(input.length).writeBytes(input);
        sender.writeInbound(in);
        receiver.runPendingTasks();
        int out = RelayFixtures.drainOutbound(receiver);
        if (out != BATCH) {
            throw new IllegalStateException("relayed " + out + " of " + BATCH);
        }
        return out;
    }
}
