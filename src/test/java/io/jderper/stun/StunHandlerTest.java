package io.jderper.stun;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static io.jderper.stun.StunTestMessages.EXAMPLE_REQUEST;
import static io.jderper.stun.StunTestMessages.EXAMPLE_RESPONSE_V4;
import static io.jderper.stun.StunTestMessages.HEX;
import static org.assertj.core.api.Assertions.assertThat;

class StunHandlerTest {

    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 3478);

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private EmbeddedChannel channel(boolean generic) {
        return new EmbeddedChannel(new StunHandler(generic, new StunMetrics(registry)));
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    private static DatagramPacket datagram(byte[] bytes, InetSocketAddress sender) {
        return new DatagramPacket(Unpooled.wrappedBuffer(bytes), LOCAL, sender);
    }

    @Test
    void allSeriesExistAtZero() {
        new StunMetrics(registry);
        for (String d : new String[] {"success", "not_stun", "read_error", "write_error"}) {
            assertThat(count("stun_requests", "disposition", d)).isZero();
        }
        assertThat(count("stun_addrfamily", "family", "ipv4")).isZero();
        assertThat(count("stun_addrfamily", "family", "ipv6")).isZero();
    }

    @Test
    void c86_answersSpecExampleFromIpv4Sender() throws Exception {
        EmbeddedChannel ch = channel(false);
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 41641);
        DatagramPacket in = datagram(HEX.parseHex(EXAMPLE_REQUEST), sender);
        ch.writeInbound(in);
        assertThat(in.refCnt()).isZero();
        DatagramPacket reply = ch.readOutbound();
        try {
            assertThat(reply.recipient()).isEqualTo(sender);
            assertThat(ByteBufUtil.hexDump(reply.content())).isEqualTo(EXAMPLE_RESPONSE_V4);
        } finally {
            reply.release();
        }
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(count("stun_requests", "disposition", "success")).isEqualTo(1);
        assertThat(count("stun_addrfamily", "family", "ipv4")).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void mappedIpv6SenderGetsFamilyOne() throws Exception {
        EmbeddedChannel ch = channel(false);
        byte[] mapped = HEX.parseHex("00000000000000000000ffffc0000201");
        InetSocketAddress sender = new InetSocketAddress(Inet6Address.getByAddress(null, mapped, -1), 41641);
        ch.writeInbound(datagram(HEX.parseHex(EXAMPLE_REQUEST), sender));
        DatagramPacket reply = ch.readOutbound();
        try {
            assertThat(ByteBufUtil.hexDump(reply.content())).isEqualTo(EXAMPLE_RESPONSE_V4);
        } finally {
            reply.release();
        }
        assertThat(count("stun_addrfamily", "family", "ipv4")).isEqualTo(1);
        assertThat(count("stun_addrfamily", "family", "ipv6")).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void c87_ipv6SenderGetsFamilyTwo() throws Exception {
        EmbeddedChannel ch = channel(false);
        byte[] txid = StunTestMessages.randomTxid();
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 5555);
        ch.writeInbound(datagram(StunTestMessages.tailscaleRequest(txid), sender));
        DatagramPacket reply = ch.readOutbound();
        try {
            byte[] bytes = ByteBufUtil.getBytes(reply.content());
            assertThat(bytes).hasSize(44);
            assertThat(bytes[25]).isEqualTo((byte) 2);
            assertThat(java.util.Arrays.copyOfRange(bytes, 8, 20)).isEqualTo(txid);
            assertThat(StunTestMessages.decodeXorMapped(bytes)).isEqualTo(sender);
        } finally {
            reply.release();
        }
        assertThat(count("stun_addrfamily", "family", "ipv6")).isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void c88_ignoredDatagramsAreCountedAndUnanswered() throws Exception {
        EmbeddedChannel ch = channel(false);
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("192.0.2.9"), 1000);
        for (byte[] d : StunMessagesTest.tailscaleRejects()) {
            DatagramPacket in = datagram(d, sender);
            ch.writeInbound(in);
            assertThat(in.refCnt()).isZero();
        }
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(count("stun_requests", "disposition", "not_stun")).isEqualTo(5);
        assertThat(count("stun_requests", "disposition", "success")).isZero();
        assertThat(count("stun_addrfamily", "family", "ipv4")).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void genericClientsGetMappingAndUnsupportedRfc5780Gets420() throws Exception {
        EmbeddedChannel ch = channel(true);
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("198.51.100.4"), 40000);
        ch.writeInbound(datagram(StunTestMessages.binding().build(), sender));
        ch.writeInbound(datagram(StunTestMessages.binding().changeRequest(0x06).build(), sender));
        DatagramPacket first = ch.readOutbound();
        DatagramPacket second = ch.readOutbound();
        try {
            assertThat(StunTestMessages.decodeXorMapped(ByteBufUtil.getBytes(first.content()))).isEqualTo(sender);
            ByteBuf err = second.content();
            assertThat(err.getUnsignedShort(0)).isEqualTo(0x0111);
            assertThat(err.getUnsignedShort(20)).isEqualTo(StunMessages.ATTR_ERROR_CODE);
            assertThat(err.getUnsignedByte(26) * 100 + err.getUnsignedByte(27)).isEqualTo(420);
        } finally {
            first.release();
            second.release();
        }
        assertThat(count("stun_requests", "disposition", "success")).isEqualTo(2);
        ch.finishAndReleaseAll();
    }

    @Test
    void writeFailureIsCountedAsWriteError() throws Exception {
        EmbeddedChannel ch = channel(false);
        ch.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(io.netty.channel.ChannelHandlerContext ctx, Object msg,
                              io.netty.channel.ChannelPromise promise) {
                io.netty.util.ReferenceCountUtil.release(msg);
                promise.setFailure(new java.io.IOException("network unreachable"));
            }
        });
        InetSocketAddress sender = new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 41641);
        ch.writeInbound(datagram(HEX.parseHex(EXAMPLE_REQUEST), sender));
        assertThat(count("stun_requests", "disposition", "write_error")).isEqualTo(1);
        assertThat(count("stun_requests", "disposition", "success")).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void readErrorIsCountedAndPausesReads() {
        EmbeddedChannel ch = channel(false);
        ch.pipeline().fireExceptionCaught(new java.io.IOException("boom"));
        assertThat(count("stun_requests", "disposition", "read_error")).isEqualTo(1);
        assertThat(ch.config().isAutoRead()).isFalse();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }
}
