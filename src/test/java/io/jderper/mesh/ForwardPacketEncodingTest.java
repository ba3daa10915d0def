package io.jderper.mesh;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameDecoder;
import io.jderper.protocol.FrameWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** SendPacket to ForwardPacket on the way to a sibling: byte layout of derp-protocol.md §8.2, and no copy. */
class ForwardPacketEncodingTest {
    final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    final NodePublicKey src = NodePrivateKey.generate().publicKey();
    final NodePublicKey dst = NodePrivateKey.generate().publicKey();

    ByteBuf sendPacket(byte[] packet) {
        ByteBuf header = FrameWriter.sendPacketHeader(alloc, dst, packet.length);
        ByteBuf f = alloc.directBuffer().writeBytes(header).writeBytes(packet);
        header.release();
        return f;
    }

    @Test
    void layoutIsTypeLengthSourceDestinationPacket() {
        byte[] packet = {1, 2, 3, 4, 5};
        ByteBuf out = MeshLink.toForwardPacket(alloc, src, sendPacket(packet));
        try {
            assertThat(out.readableBytes()).isEqualTo(5 + 32 + 32 + 5);
            assertThat(out.getByte(0)).isEqualTo((byte) 0x0a);
            assertThat(out.getInt(1)).isEqualTo(64 + 5);
            assertThat(NodePublicKey.read(out, 5)).isEqualTo(src);
            assertThat(NodePublicKey.read(out, 37)).isEqualTo(dst);
            assertThat(ByteBufUtil.getBytes(out, 69, 5)).containsExactly(packet);
        } finally {
            out.release();
        }
    }

    @Test
    void packetBytesAreSharedNotCopiedAndOneReleaseFreesTheFrame() {
        ByteBuf frame = sendPacket(new byte[]{7, 7, 7});
        ByteBuf out = MeshLink.toForwardPacket(alloc, src, frame);
        frame.setByte(frame.writerIndex() - 1, 9);
        assertThat(out.getByte(out.writerIndex() - 1)).isEqualTo((byte) 9);
        out.release();
        assertThat(frame.refCnt()).isZero();
    }

    @Test
    void aServerDecoderReadsItBack() throws Exception {
        FrameDecoder decoder = new FrameDecoder(FrameDecoder.Role.SERVER);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        // A server decoder reads ClientInfo first and waits for the handshake before anything else.
        ch.writeInbound(FrameWriter.encode(alloc, new Frame.ClientInfo(src, new byte[64])));
        assertThat((Object) ch.readInbound()).isInstanceOf(Frame.ClientInfo.class);
        decoder.resume(ch.pipeline().context(decoder));
        byte[] packet = new byte[1200];
        packet[0] = 42;
        ch.writeInbound(MeshLink.toForwardPacket(alloc, src, sendPacket(packet)));
        Frame.ForwardPacket f = ch.readInbound();
        try {
            assertThat(f.source()).isEqualTo(src);
            assertThat(f.destination()).isEqualTo(dst);
            assertThat(f.packetLength()).isEqualTo(1200);
            assertThat(f.frame().getByte(f.frame().readerIndex() + f.packetOffset())).isEqualTo((byte) 42);
        } finally {
            f.release();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void emptyPacketForwards() {
        ByteBuf out = MeshLink.toForwardPacket(alloc, src, sendPacket(new byte[0]));
        assertThat(out.readableBytes()).isEqualTo(69);
        assertThat(out.getInt(1)).isEqualTo(64);
        out.release();
    }
}
