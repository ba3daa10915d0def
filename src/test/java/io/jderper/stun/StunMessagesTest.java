package io.jderper.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

import static io.jderper.stun.StunMessages.BINDING;
import static io.jderper.stun.StunMessages.NOT_STUN;
import static io.jderper.stun.StunMessages.classify;
import static io.jderper.stun.StunTestMessages.EXAMPLE_REQUEST;
import static io.jderper.stun.StunTestMessages.EXAMPLE_RESPONSE_MAPPED_V6;
import static io.jderper.stun.StunTestMessages.EXAMPLE_RESPONSE_V4;
import static io.jderper.stun.StunTestMessages.EXAMPLE_TXID;
import static io.jderper.stun.StunTestMessages.HEX;
import static io.jderper.stun.StunTestMessages.binding;
import static org.assertj.core.api.Assertions.assertThat;

class StunMessagesTest {

    private static int classifyBytes(byte[] datagram, boolean generic) {
        ByteBuf buf = Unpooled.wrappedBuffer(datagram);
        try {
            return classify(buf, generic);
        } finally {
            buf.release();
        }
    }

    @Test
    void testBuilderReproducesSpecExampleRequest() {
        assertThat(HEX.formatHex(StunTestMessages.tailscaleRequest(EXAMPLE_TXID))).isEqualTo(EXAMPLE_REQUEST);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void c86_specExampleRequestIsAccepted(boolean generic) {
        assertThat(classifyBytes(HEX.parseHex(EXAMPLE_REQUEST), generic)).isEqualTo(BINDING);
    }

    @Test
    void c86_ipv4ResponseMatchesSpecExampleBytes() throws Exception {
        ByteBuf request = Unpooled.wrappedBuffer(HEX.parseHex(EXAMPLE_REQUEST));
        ByteBuf out = Unpooled.buffer();
        try {
            byte[] addr = InetAddress.getByName("192.0.2.1").getAddress();
            StunMessages.writeBindingSuccess(out, request, addr, 41641);
            assertThat(ByteBufUtil.hexDump(out)).isEqualTo(EXAMPLE_RESPONSE_V4);
            assertThat(out.readableBytes()).isEqualTo(StunMessages.replyLength(BINDING, true));
        } finally {
            request.release();
            out.release();
        }
    }

    @Test
    void c87_sixteenByteAddressEncodingMatchesSpecMappedExample() {
        // The Go dual-stack form encodes ::ffff:192.0.2.1 as family 2; same XOR rules as any IPv6 client.
        ByteBuf request = Unpooled.wrappedBuffer(HEX.parseHex(EXAMPLE_REQUEST));
        ByteBuf out = Unpooled.buffer();
        try {
            byte[] mapped = HEX.parseHex("00000000000000000000ffffc0000201");
            StunMessages.writeBindingSuccess(out, request, mapped, 41641);
            assertThat(ByteBufUtil.hexDump(out)).isEqualTo(EXAMPLE_RESPONSE_MAPPED_V6);
            assertThat(out.readableBytes()).isEqualTo(StunMessages.replyLength(BINDING, false));
        } finally {
            request.release();
            out.release();
        }
    }

    @Test
    void ipv4MappedSenderIsAnsweredAsIpv4() throws Exception {
        byte[] mapped = HEX.parseHex("00000000000000000000ffffc0000201");
        InetAddress sender = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(sender).isInstanceOf(Inet6Address.class);
        assertThat(StunMessages.ipv4Of(sender, mapped)).containsExactly(192, 0, 2, 1);
        byte[] v6 = InetAddress.getByName("2001:db8::1").getAddress();
        assertThat(StunMessages.ipv4Of(InetAddress.getByAddress(v6), v6)).isNull();
        byte[] v4 = InetAddress.getByName("127.0.0.1").getAddress();
        assertThat(StunMessages.ipv4Of(InetAddress.getByAddress(v4), v4)).isSameAs(v4);
    }

    @Test
    void crcMatchesJdk() {
        byte[] data = "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII);
        CRC32 jdk = new CRC32();
        jdk.update(data);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        try {
            assertThat(StunMessages.crc32(buf, 0, data.length)).isEqualTo((int) jdk.getValue());
            assertThat(StunMessages.crc32(buf, 0, 0)).isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void tailscaleHeaderLengthIsNotCrossChecked() {
        byte[] req = binding().length(0x100).software("tailnode").fingerprint().build();
        assertThat(classifyBytes(req, false)).isEqualTo(BINDING);
    }

    @Test
    void readerIndexIsHonoured() {
        byte[] req = HEX.parseHex(EXAMPLE_REQUEST);
        byte[] shifted = new byte[req.length + 7];
        System.arraycopy(req, 0, shifted, 7, req.length);
        ByteBuf buf = Unpooled.wrappedBuffer(shifted).skipBytes(7);
        try {
            assertThat(classify(buf, false)).isEqualTo(BINDING);
            assertThat(buf.readerIndex()).isEqualTo(7);
        } finally {
            buf.release();
        }
    }

    /** C-88: each of these is ignored by a server that only answers Tailscale clients. */
    static byte[][] tailscaleRejects() {
        byte[] random = new byte[100];
        new java.util.Random(88).nextBytes(random);
        byte[] fpNotLast = binding().software("tailnode").fingerprint().software("x").build();
        return new byte[][] {
                binding().fingerprint().build(),                                   // no SOFTWARE
                binding().software("other").fingerprint().build(),                 // SOFTWARE other
                binding().software("tailnode").fingerprint(1).build(),             // wrong FINGERPRINT
                fpNotLast,                                                         // FINGERPRINT not last
                random,                                                            // noise
        };
    }

    @Test
    void c88_nonTailscaleDatagramsAreRejected() {
        for (byte[] datagram : tailscaleRejects()) {
            assertThat(classifyBytes(datagram, false)).as(HEX.formatHex(datagram)).isEqualTo(NOT_STUN);
        }
        assertThat(classifyBytes(binding().software("tailnodeX").fingerprint().build(), false)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(binding().software("tailnod").fingerprint().build(), false)).isEqualTo(NOT_STUN);
    }

    @Test
    void malformedMessagesAreRejectedInBothModes() {
        byte[] good = StunTestMessages.tailscaleRequest(EXAMPLE_TXID);
        byte[][] bad = {
                new byte[0],
                java.util.Arrays.copyOf(good, 19),                                          // short header
                java.util.Arrays.copyOf(good, good.length - 2),                             // truncated attribute
                binding().type(0x0101).software("tailnode").fingerprint().build(),          // a response
                binding().type(0x0011).software("tailnode").fingerprint().build(),          // indication
                binding().cookie(0x12345678).software("tailnode").fingerprint().build(),    // RFC 3489 style
                topBitsSet(good),
                binding().software("tailnode").attr(StunMessages.ATTR_FINGERPRINT, new byte[8]).build(),
        };
        for (byte[] datagram : bad) {
            assertThat(classifyBytes(datagram, false)).as(HEX.formatHex(datagram)).isEqualTo(NOT_STUN);
            assertThat(classifyBytes(datagram, true)).as(HEX.formatHex(datagram)).isEqualTo(NOT_STUN);
        }
    }

    private static byte[] topBitsSet(byte[] good) {
        byte[] copy = good.clone();
        copy[0] |= (byte) 0x40;
        return copy;
    }

    @Test
    void genericPlainBindingRequestIsAcceptedOnlyInGenericMode() {
        byte[] plain = binding().txid(StunTestMessages.randomTxid()).build();
        assertThat(classifyBytes(plain, false)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(plain, true)).isEqualTo(BINDING);

        byte[] withSoftwareAndFp = binding().software("coturn").fingerprint().build();
        assertThat(classifyBytes(withSoftwareAndFp, false)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(withSoftwareAndFp, true)).isEqualTo(BINDING);

        byte[] withUnknownAttributes = binding().attr(0x0024, new byte[4]).attr(0x802A, new byte[8]).build();
        assertThat(classifyBytes(withUnknownAttributes, true)).isEqualTo(BINDING);
    }

    @Test
    void genericModeChecksFingerprintAndLength() {
        assertThat(classifyBytes(binding().software("x").fingerprint(0x10).build(), true)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(binding().fingerprint().software("x").build(), true)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(binding().fingerprint().fingerprint().build(), true)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(binding().length(4).build(), true)).isEqualTo(NOT_STUN);
        assertThat(classifyBytes(binding().length(12).software("x").build(), true)).isEqualTo(NOT_STUN);
    }

    @Test
    void changeRequestWithoutFlagsIsHarmless() {
        assertThat(classifyBytes(binding().changeRequest(0).build(), true)).isEqualTo(BINDING);
        assertThat(classifyBytes(binding().changeRequest(0).fingerprint().build(), true)).isEqualTo(BINDING);
    }

    @Test
    void rfc5780RequestsWeCannotHonourGet420() {
        int changeIp = classifyBytes(binding().changeRequest(0x04).build(), true);
        assertThat(changeIp).isEqualTo(StunMessages.VERDICT_UNSUPPORTED | StunMessages.UNSUPPORTED_CHANGE_REQUEST);
        int both = classifyBytes(binding().attr(StunMessages.ATTR_RESPONSE_PORT, new byte[] {0x12, 0x34, 0, 0})
                .changeRequest(0x06).build(), true);
        assertThat(both).isEqualTo(StunMessages.VERDICT_UNSUPPORTED
                | StunMessages.UNSUPPORTED_CHANGE_REQUEST | StunMessages.UNSUPPORTED_RESPONSE_PORT);
        // A Tailscale request is answered with a mapping whatever else it carries; the original ignores extras.
        assertThat(classifyBytes(binding().changeRequest(0x06).software("tailnode").fingerprint().build(), false))
                .isEqualTo(BINDING);
    }

    @Test
    void unknownAttributeErrorBytes() {
        ByteBuf request = Unpooled.wrappedBuffer(HEX.parseHex(EXAMPLE_REQUEST));
        ByteBuf out = Unpooled.buffer();
        try {
            int verdict = StunMessages.VERDICT_UNSUPPORTED | StunMessages.UNSUPPORTED_CHANGE_REQUEST
                    | StunMessages.UNSUPPORTED_RESPONSE_PORT;
            StunMessages.writeUnknownAttribute(out, request, verdict);
            String expected = "0111" + "0024" + "2112a442" + "0102030405060708090a0b0c"
                    + "0009" + "0015" + "0000" + "04" + "14" + HEX.formatHex("Unknown Attribute".getBytes()) + "000000"
                    + "000a" + "0004" + "0003" + "0027";
            assertThat(ByteBufUtil.hexDump(out)).isEqualTo(expected);
            assertThat(out.readableBytes()).isEqualTo(StunMessages.replyLength(verdict, true));

            out.clear();
            int one = StunMessages.VERDICT_UNSUPPORTED | StunMessages.UNSUPPORTED_CHANGE_REQUEST;
            StunMessages.writeUnknownAttribute(out, request, one);
            assertThat(ByteBufUtil.hexDump(out)).endsWith("000a" + "0002" + "0003" + "0000");
            assertThat(out.readableBytes()).isEqualTo(StunMessages.replyLength(one, false));
            assertThat(out.getUnsignedShort(2)).isEqualTo(out.readableBytes() - 20);
        } finally {
            request.release();
            out.release();
        }
    }
}
