package io.jderper.server;

import io.jderper.BenchmarkDefaults;
import io.jderper.key.NodePrivateKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The DERP part of connection set-up, without TCP and HTTP: install on a channel, ServerKey out, ClientInfo in
 * (X25519, box open, JSON), registration, ServerInfo out, then close and unregister.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandshakeBenchmark extends BenchmarkDefaults {
    DerpServer server;
    byte[] clientInfo;

    @Setup
    public void setup() {
        server = RelayFixtures.server();
        ByteBuf b = RelayFixtures.clientInfo(ByteBufAllocator.DEFAULT, NodePrivateKey.generate(),
                server.identity().publicKey());
        clientInfo = new byte[b.readableBytes()];
        b.readBytes(clientInfo);
        b.release();
    }

    @Benchmark
    public int handshake() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(RelayFixtures.UPSTREAM, new io.netty.channel.ChannelInboundHandlerAdapter());
        server.install(ch.pipeline(), RelayFixtures.UPSTREAM, new ConnectionInfo(RelayFixtures.REMOTE, false, false));
        ch.writeInbound(ByteBufAllocator.DEFAULT.directBuffer(clientInfo.length).writeBytes(clientInfo));
        ch.runPendingTasks();
        int frames = RelayFixtures.drainOutbound(ch);
        ch.close();
        ch.runPendingTasks();
        if (frames != 2) {
            throw new IllegalStateException("expected ServerKey and ServerInfo, got " + frames + " frames");
        }
        return frames;
    }
}
