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
 * (X25519, box open, JSON), registration, ServerInfo out, then close and unregister. {@code handshake} brings a new
 * client key each time (more keys than {@link HandshakeCrypto} keeps boxes for, so nearly every one costs an
 * X25519); {@code reconnect} is one client coming back, whose box is kept.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandshakeBenchmark extends BenchmarkDefaults {
    private static final int NEW_CLIENTS = 4 * HandshakeCrypto.BOX_CACHE_CAPACITY;

    DerpServer server;
    byte[] clientInfo;
    byte[][] newClients;
    int next;

    @Setup
    public void setup() {
        server = RelayFixtures.server();
        clientInfo = clientInfo(NodePrivateKey.generate());
        newClients = new byte[NEW_CLIENTS][];
        for (int i = 0; i < NEW_CLIENTS; i++) {
            newClients[i] = clientInfo(NodePrivateKey.generate());
        }
    }

    private byte[] clientInfo(NodePrivateKey client) {
        ByteBuf b = RelayFixtures.clientInfo(ByteBufAllocator.DEFAULT, client, server.identity().publicKey());
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    @Benchmark
    public int handshake() {
        byte[] ci = newClients[next];
        next = (next + 1) % NEW_CLIENTS;
        return handshake(ci);
    }

    @Benchmark
    public int reconnect() {
        return handshake(clientInfo);
    }

    private int handshake(byte[] clientInfo) {
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
