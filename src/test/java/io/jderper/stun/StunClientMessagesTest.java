package io.jderper.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static io.jderper.stun.StunTestMessages.EXAMPLE_REQUEST;
import static io.jderper.stun.StunTestMessages.EXAMPLE_RESPONSE_MAPPED_V6;
import static io.jderper.stun.StunTestMessages.EXAMPLE_RESPONSE_V4;
import static io.jderper.stun.StunTestMessages.EXAMPLE_TXID;
import static io.jderper.stun.StunTestMessages.HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client half of StunMessages, used by the prober and stunc: requests as Tailscale sends them, replies as it reads them. */
class StunClientMessagesTest {

    @Test
    void requestIsByteForByteTheTailscaleClientsRequest() {
        assertThat(HEX.formatHex(StunMessages.bindingRequest(EXAMPLE_TXID))).isEqualTo(EXAMPLE_REQUEST);
    }

    @Test
    void ourServerAcceptsOurRequestInTailscaleOnlyMode() {
        ByteBuf req = Unpooled.wrappedBuffer(StunMessages.bindingRequest(StunMessages.newTransactionId()));
        try {
            assertThat(StunMessages.classify(req, false)).isEqualTo(StunMessages.BINDING);
        } finally {
            req.release();
        }
    }

    @Test
    void transactionIdsAreFreshAndTwelveBytes() {
        byte[] a = StunMessages.newTransactionId();
        assertThat(a).hasSize(12);
        assertThat(a).isNotEqualTo(StunMessages.newTransactionId());
        assertThatThrownBy(() -> StunMessages.bindingRequest(new byte[11])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsTheSpecExampleReplies() throws Exception {
        byte[] v4 = HEX.parseHex(EXAMPLE_RESPONSE_V4);
        StunMessages.BindingResponse r = StunMessages.parseBindingResponse(v4, v4.length);
        assertThat(r.answers(EXAMPLE_TXID)).isTrue();
        assertThat(r.mappedAddress()).isEqualTo(StunTestMessages.decodeXorMapped(v4));
        byte[] mapped = HEX.parseHex(EXAMPLE_RESPONSE_MAPPED_V6);
        StunMessages.BindingResponse m = StunMessages.parseBindingResponse(mapped, mapped.length);
        assertThat(m.mappedAddress().getAddress().getAddress()).as("an IPv4-mapped IPv6 address reads as IPv4").hasSize(4);
    }

    @Property(tries = 200)
    void whatTheServerWritesTheClientReads(@ForAll @Size(12) byte[] txid, @ForAll boolean ipv6, @ForAll byte[] salt,
                                           @ForAll int rawPort) throws Exception {
        byte[] addr = new byte[ipv6 ? 16 : 4];
        for (int i = 0; i < addr.length; i++) {
            addr[i] = (byte) (i * 31 + (salt.length > 0 ? salt[i % salt.length] : 7));
        }
        if (ipv6) {
            addr[0] = 0x20; // keep it a genuine IPv6 address, not an IPv4-mapped one
        }
        int port = rawPort & 0xFFFF;
        ByteBuf request = Unpooled.wrappedBuffer(StunMessages.bindingRequest(txid));
        ByteBuf out = Unpooled.buffer();
        try {
            StunMessages.writeBindingSuccess(out, request, addr, port);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            StunMessages.BindingResponse r = StunMessages.parseBindingResponse(bytes, bytes.length);
            assertThat(r.answers(txid)).isTrue();
            assertThat(r.mappedAddress()).isEqualTo(new InetSocketAddress(InetAddress.getByAddress(addr), port));
        } finally {
            request.release();
            out.release();
        }
    }

    @Test
    void mappedAddressIsTheFallbackAndXorWins() throws Exception {
        byte[] onlyMapped = StunTestMessages.binding().type(0x0101)
                .attr(0x0001, new byte[] {0, 1, 0x12, 0x34, 10, 0, 0, 1}).build();
        assertThat(StunMessages.parseBindingResponse(onlyMapped, onlyMapped.length).mappedAddress())
                .isEqualTo(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 0x1234));
        byte[] v4 = HEX.parseHex(EXAMPLE_RESPONSE_V4);
        byte[] both = StunTestMessages.binding().type(0x0101)
                .attr(0x0001, new byte[] {0, 1, 0x12, 0x34, 10, 0, 0, 1})
                .attr(0x0020, java.util.Arrays.copyOfRange(v4, 24, 32)).build();
        assertThat(StunMessages.parseBindingResponse(both, both.length).mappedAddress())
                .isEqualTo(StunTestMessages.decodeXorMapped(v4));
    }

    @Test
    void badRepliesSayWhatIsWrong() {
        byte[] request = StunMessages.bindingRequest(EXAMPLE_TXID);
        assertThatThrownBy(() -> StunMessages.parseBindingResponse(request, request.length))
                .hasMessageContaining("not a success response");
        byte[] garbage = new byte[30];
        assertThatThrownBy(() -> StunMessages.parseBindingResponse(garbage, garbage.length)).hasMessageContaining("not a STUN packet");
        byte[] v4 = HEX.parseHex(EXAMPLE_RESPONSE_V4);
        assertThatThrownBy(() -> StunMessages.parseBindingResponse(v4, v4.length - 4)).hasMessageContaining("malformed");
        byte[] none = StunTestMessages.binding().type(0x0101).software("x").build();
        assertThatThrownBy(() -> StunMessages.parseBindingResponse(none, none.length)).hasMessageContaining("no mapped address");
        byte[] badFamily = StunTestMessages.binding().type(0x0101).attr(0x0020, new byte[] {0, 9, 0, 0, 1, 2, 3, 4}).build();
        assertThatThrownBy(() -> StunMessages.parseBindingResponse(badFamily, badFamily.length)).hasMessageContaining("malformed");
    }

    @Property(tries = 500)
    void arbitraryBytesNeverThrowAnythingButIllegalArgument(@ForAll @Size(max = 120) byte[] datagram) {
        try {
            StunMessages.parseBindingResponse(datagram, datagram.length);
        } catch (IllegalArgumentException expected) {
            // a readable complaint is the only acceptable failure
        }
    }
}
