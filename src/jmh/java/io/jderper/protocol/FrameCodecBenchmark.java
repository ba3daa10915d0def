package io.jderper.protocol;

import io.jderper.BenchmarkDefaults;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Frame decoding (server role: SendPacket; client role: RecvPacket) per frame, from a buffer holding
 * {@value #BATCH} frames back to back, and encoding of the control frames the server writes.
 */
@State(Scope.Thread)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBenchmark extends BenchmarkDefaults {
    static final int BATCH = 16;
    static final int SIZE = 1200;

    ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    EmbeddedChannel server;
    EmbeddedChannel client;
    byte[] sendPackets;
    byte[] recvPackets;
    NodePublicKey peer;

    @Setup
    public void setup() throws Exception {
        byte[] k = new byte[32];
        ThreadLocalRandom.current().nextBytes(k);
        peer = NodePublicKey.fromBytes(k);

        FrameDecoder serverDecoder = new FrameDecoder(FrameDecoder.Role.SERVER);
        server = new EmbeddedChannel(serverDecoder);
        server.writeInbound(FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT,
                new Frame.ClientInfo(peer, new byte[64])));
        server.readInbound();
        serverDecoder.resume(server.pipeline().context(serverDecoder));

        client = new EmbeddedChannel(new FrameDecoder(FrameDecoder.Role.CLIENT));
        ByteBuf sk = FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, new Frame.ServerKey(peer));
        client.writeInbound(sk);
        client.readInbound();

        sendPackets = frames(FrameType.SEND_PACKET);
        recvPackets = frames(FrameType.RECV_PACKET);
    }

    private byte[] frames(int type) {
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer();
        for (int i = 0; i < BATCH; i++) {
            b.writeByte(type).writeInt(32 + SIZE);
            peer.writeTo(b);
            b.writeZero(SIZE);
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    @TearDown
    public void tearDown() {
        server.finishAndReleaseAll();
        client.finishAndReleaseAll();
    }

    private static int decode(EmbeddedChannel ch, ByteBuf in) {
        ch.writeInbound(in);
        int n = 0;
        Object o;
        while ((o = ch.readInbound()) != null) {
            ReferenceCountUtil.release(o instanceof Frame.PacketFrame p ? p.frame() : o);
            n++;
        }
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int decodeSendPacket() {
        return decode(server, alloc.directBuffer(sendPackets.length).writeBytes(sendPackets));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int decodeRecvPacket() {
        return decode(client, alloc.directBuffer(recvPackets.length).writeBytes(recvPackets));
    }

    @Benchmark
    public boolean encodePong() {
        ByteBuf b = FrameWriter.pong(alloc, 0x1234_5678_9abc_def0L);
        return b.release();
    }

    @Benchmark
    public boolean encodePeerGone() {
        ByteBuf b = FrameWriter.peerGone(alloc, peer, PeerGoneReason.DISCONNECTED);
        return b.release();
    }

    @Benchmark
    public boolean encodePeerPresent() {
        ByteBuf b = FrameWriter.encode(alloc, new Frame.PeerPresent(peer, new byte[16], 41641, 1));
        return b.release();
    }
}
