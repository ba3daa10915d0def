package io.jderper.protocol;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The DERP frame codec over EmbeddedChannel (derp-protocol.md §5, §6, §8, §11). */
class FrameDecoderTest {
    private static final HexFormat HEX = HexFormat.of();
    private EmbeddedChannel channel;

    private EmbeddedChannel server() {
        channel = new EmbeddedChannel(new FrameDecoder(FrameDecoder.Role.SERVER));
        return channel;
    }

    private EmbeddedChannel client() {
        channel = new EmbeddedChannel(new FrameDecoder(FrameDecoder.Role.CLIENT));
        return channel;
    }

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf hex(String h) {
        return Unpooled.wrappedBuffer(HEX.parseHex(h.replace(" ", "")));
    }

    private static ByteBuf clientInfo(int sealedLength) {
        ByteBuf b = Unpooled.buffer().writeByte(FrameType.CLIENT_INFO).writeInt(32 + sealedLength);
        NodePrivateKey.generate().publicKey().writeTo(b);
        return b.writeBytes(new byte[sealedLength]);
    }

    /** Server role, past the handshake: decoder resumed as the relay does after ServerInfo. */
    private EmbeddedChannel steadyServer() throws Exception {
        EmbeddedChannel ch = server();
        ch.writeInbound(clientInfo(40));
        assertThat((Object) ch.readInbound()).isInstanceOf(Frame.ClientInfo.class);
        FrameDecoder d = ch.pipeline().get(FrameDecoder.class);
        ch.runPendingTasks();
        d.resume(ch.pipeline().context(d));
        return ch;
    }

    @Test
    void specWorkedExampleClientInfoDecodes() {
        EmbeddedChannel ch = server();
        ch.writeInbound(hex("020000006864b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b76cffec82736cd2129b825def91dab6667dfbbfe74feceee2842379acdf7acb5bb387740e0e27b6d3d9ab25945f3ffc3f"));
        Frame.ClientInfo ci = ch.readInbound();
        assertThat(ci.clientKey().toHex()).isEqualTo("64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466");
        assertThat(ci.sealed()).hasSize(72);
    }

    @Test
    void c17_firstFrameMustBeClientInfo() {
        EmbeddedChannel ch = server();
        assertThatThrownBy(() -> ch.writeInbound(hex("04 00000020" + "00".repeat(32))))
                .isInstanceOf(DecoderException.class).hasMessageContaining("first frame must be ClientInfo");
    }

    @Test
    void c18_clientInfoLengthLimits() {
        EmbeddedChannel ch = server();
        assertThatThrownBy(() -> ch.writeInbound(hex("02 00000037" + "00".repeat(55)))).hasMessageContaining("56..262144");
        EmbeddedChannel ch2 = server();
        assertThatThrownBy(() -> ch2.writeInbound(hex("02 00040001"))).hasMessageContaining("got 262145");
    }

    @Test
    void pipelinedFramesWaitUntilResumed() throws Exception {
        EmbeddedChannel ch = server();
        ByteBuf both = Unpooled.wrappedBuffer(clientInfo(40), hex("07 00000001 01"));
        ch.writeInbound(both);
        assertThat((Object) ch.readInbound()).isInstanceOf(Frame.ClientInfo.class);
        assertThat((Object) ch.readInbound()).isNull();
        FrameDecoder d = ch.pipeline().get(FrameDecoder.class);
        d.resume(ch.pipeline().context(d));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.NotePreferred(true));
    }

    @Test
    void sendPacketIsARetainedSliceOfTheWholeFrameSplitAnywhere() throws Exception {
        EmbeddedChannel ch = steadyServer();
        NodePublicKey dst = NodePrivateKey.generate().publicKey();
        ByteBuf frame = Unpooled.buffer().writeByte(4).writeInt(36);
        dst.writeTo(frame);
        frame.writeInt(0xdeadbeef);
        byte[] all = ByteBufUtil.getBytes(frame);
        frame.release();
        for (int i = 0; i < all.length; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(all, i, 1));
        }
        Frame.SendPacket p = ch.readInbound();
        try {
            assertThat(p.destination()).isEqualTo(dst);
            assertThat(p.packetLength()).isEqualTo(4);
            assertThat(p.packet().getInt(0)).isEqualTo(0xdeadbeef);
            assertThat(ByteBufUtil.getBytes(p.frame())).isEqualTo(all);
            assertThat(p.isDisco()).isFalse();
        } finally {
            p.release();
        }
    }

    @Test
    void c29_c41_c42_steadyStateLimitsClose() throws Exception {
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("04 0000001f" + "00".repeat(31)))).hasMessageContaining("SendPacket");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("04 00010021"))).hasMessageContaining("got 65569");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("12 00000007"))).hasMessageContaining("Ping");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("12 000003e9"))).hasMessageContaining("Ping");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("07 00000002 0101"))).hasMessageContaining("exactly 1");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("10 00000001 00"))).hasMessageContaining("WatchConns");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("11 0000001f"))).hasMessageContaining("ClosePeer");
        assertThatThrownBy(() -> steadyServer().writeInbound(hex("0a 0000003f"))).hasMessageContaining("ForwardPacket");
    }

    @Test
    void afterAnErrorEverythingIsDiscarded() throws Exception {
        EmbeddedChannel ch = steadyServer();
        assertThatThrownBy(() -> ch.writeInbound(hex("07 00000002 0101 07 00000001 01"))).isInstanceOf(DecoderException.class);
        ch.writeInbound(hex("07 00000001 01"));
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void c43_unknownTypesAreSkippedWithoutBuffering() throws Exception {
        EmbeddedChannel ch = steadyServer();
        ch.writeInbound(hex("55 000f4240"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Unknown(0x55, 1_000_000));
        for (int i = 0; i < 100; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[10_000]));
        }
        ch.writeInbound(hex("06 00000000 13 00000008 0000000000000001 03 00000004 00000000 12 00000008 0102030405060708"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ignored(0x06, 0));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ignored(0x13, 8));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ignored(0x03, 4));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ping(0x0102030405060708L));
    }

    @Test
    void clientRoleDecodesServerFrames() {
        EmbeddedChannel ch = client();
        NodePublicKey server = NodePublicKey.fromHex("07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c");
        ch.writeInbound(hex("0100000028 44455250f09f9491 07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.ServerKey(server));
        ch.writeInbound(hex("0300000035c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d719e6b9c203327451f267124ec8d07d84d62c7c1b97f1bb18cbbfe8b602"));
        assertThat((Object) ch.readInbound()).isInstanceOf(Frame.ServerInfo.class);
        String a = "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466";
        ch.writeInbound(hex("09 00000033" + a + "00000000000000000000ffffc0000201" + "a2a9" + "01"));
        Frame.PeerPresent pp = ch.readInbound();
        assertThat(pp.port()).isEqualTo(41641);
        assertThat(pp.flags()).isEqualTo(1);
        ch.writeInbound(hex("08 00000021" + a + "01"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.PeerGone(NodePublicKey.fromHex(a), PeerGoneReason.NOT_HERE));
        ch.writeInbound(hex("08 00000020" + a));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.PeerGone(NodePublicKey.fromHex(a), PeerGoneReason.DISCONNECTED));
        ch.writeInbound(hex("15 00000008 000001f4 00001388"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Restarting(500, 5000));
        // Too-short known frames are skipped, not fatal, for a client.
        ch.writeInbound(hex("05 00000004 deadbeef"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ignored(5, 4));
        assertThatThrownBy(() -> ch.writeInbound(hex("05 00100001"))).hasMessageContaining("1 MiB");
    }

    @Test
    void c93_encoderProducesSpecBytes() {
        NodePublicKey a = NodePublicKey.fromHex("64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466");
        byte[] ip = new byte[16];
        ip[10] = (byte) 0xff;
        ip[11] = (byte) 0xff;
        ip[12] = (byte) 192;
        ip[15] = 1;
        ip[14] = 2;
        assertEncodes(new Frame.PeerPresent(a, ip, 41641, 1), "0900000033" + a.toHex() + "00000000000000000000ffffc0000201a2a901");
        assertEncodes(new Frame.PeerGone(a, PeerGoneReason.NOT_HERE), "0800000021" + a.toHex() + "01");
        assertEncodes(new Frame.Restarting(500, 5000), "1500000008000001f400001388");
        assertEncodes(new Frame.Ping(0x0102030405060708L), "12000000080102030405060708");
        assertEncodes(Frame.KeepAlive.INSTANCE, "0600000000");
        assertEncodes(new Frame.NotePreferred(true), "070000000101");
        assertEncodes(new Frame.ClosePeer(a), "1100000020" + a.toHex());
        assertEncodes(Frame.WatchConns.INSTANCE, "1000000000");
    }

    @Test
    void c93_everyWriterSizesItsBufferExactly() {
        NodePublicKey a = NodePrivateKey.generate().publicKey();
        UnpooledByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        List<ByteBuf> written = List.of(
                FrameWriter.keepAlive(alloc),
                FrameWriter.ping(alloc, 7),
                FrameWriter.pong(alloc, 7),
                FrameWriter.peerGone(alloc, a, PeerGoneReason.DISCONNECTED),
                FrameWriter.peerPresent(alloc, a, new byte[16], 41641, 1),
                FrameWriter.restarting(alloc, 500, 5000),
                FrameWriter.sendPacketHeader(alloc, a, 100),
                FrameWriter.encode(alloc, new Frame.ServerKey(a)),
                FrameWriter.encode(alloc, new Frame.ClientInfo(a, new byte[60])),
                FrameWriter.encode(alloc, new Frame.Health("disk full")),
                FrameWriter.encode(alloc, new Frame.ClosePeer(a)),
                FrameWriter.encode(alloc, new Frame.NotePreferred(false)));
        try {
            for (ByteBuf b : written) {
                assertThat(b.capacity()).as("frame type %s", FrameType.name(b.getUnsignedByte(0))).isEqualTo(b.readableBytes());
            }
        } finally {
            written.forEach(ByteBuf::release);
        }
    }

    @Test
    void skippedFramesCannotBeEncoded() {
        assertThatThrownBy(() -> FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, new Frame.Unknown(0x55, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("skipped");
    }

    @Test
    void c11_aBadServerGreetingPoisonsTheStreamLikeAnyOtherViolation() {
        EmbeddedChannel ch = client();
        assertThatThrownBy(() -> ch.writeInbound(hex("0100000028 44455250f09f9400"
                + "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c")))
                .hasMessageContaining("bad magic");
        // A well-formed frame after the violation is not decoded: the decoder is in its failed state.
        ch.writeInbound(hex("0600000000"));
        assertThat((Object) ch.readInbound()).isNull();
    }

    @Test
    void ignoredKnownTypesAreToldApartFromUndefinedOnes() throws Exception {
        EmbeddedChannel ch = steadyServer();
        ch.writeInbound(hex("13 00000008 0000000000000001 16 00000000 ff 00000002 0102"));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Ignored(FrameType.PONG, 8));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Unknown(0x16, 0));
        assertThat((Object) ch.readInbound()).isEqualTo(new Frame.Unknown(0xff, 2));
    }

    /**
     * The compiler makes each record implement {@code accept}; this makes sure it is dispatched to a visitor method of
     * its own, so that adding a frame type means adding a visitor method, which every consumer must then implement.
     */
    @Test
    void everyFrameRecordHasItsOwnVisitorMethod() {
        List<Class<?>> leaves = new ArrayList<>();
        collectLeaves(Frame.class, leaves);
        Map<Class<?>, Long> methodsPerType = Arrays.stream(Frame.Visitor.class.getDeclaredMethods())
                .filter(m -> m.getParameterCount() == 1)
                .collect(Collectors.groupingBy(m -> m.getParameterTypes()[0], Collectors.counting()));
        assertThat(Frame.Visitor.class.getDeclaredMethods()).hasSize(leaves.size());
        for (Class<?> leaf : leaves) {
            assertThat(methodsPerType.get(leaf)).as(leaf.getSimpleName()).isEqualTo(1L);
        }
        assertThat(leaves).hasSize(18);
    }

    private static void collectLeaves(Class<?> type, List<Class<?>> out) {
        if (type.isSealed()) {
            for (Class<?> sub : type.getPermittedSubclasses()) {
                collectLeaves(sub, out);
            }
        } else if (!out.contains(type)) {
            out.add(type);
        }
    }

    private static void assertEncodes(Frame f, String hex) {
        ByteBuf b = FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, f);
        try {
            assertThat(ByteBufUtil.hexDump(b)).isEqualTo(hex);
        } finally {
            b.release();
        }
    }
}
