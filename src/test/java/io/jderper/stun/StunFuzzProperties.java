package io.jderper.stun;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random and mutated datagrams must never make the handler throw, leak a buffer, or produce a malformed
 * reply. Inputs live in pooled direct memory, the layout the epoll transport hands over.
 */
class StunFuzzProperties {

    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 3478);
    private static final InetSocketAddress V4 = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress V6 = new InetSocketAddress("::1", 40001);

    @Property(tries = 1500)
    void randomBytesNeverThrowOrLeak(@ForAll @Size(max = 600) byte[] datagram, @ForAll boolean generic,
                                     @ForAll boolean ipv6) {
        exercise(datagram, generic, ipv6 ? V6 : V4);
    }

    @Property(tries = 1500)
    void mutatedRequestsNeverThrowOrLeak(@ForAll("mutated") byte[] datagram, @ForAll boolean generic,
                                         @ForAll boolean ipv6) {
        exercise(datagram, generic, ipv6 ? V6 : V4);
    }

    @Provide
    Arbitrary<byte[]> mutated() {
        Arbitrary<byte[]> base = Arbitraries.of(
                StunTestMessages.tailscaleRequest(StunTestMessages.EXAMPLE_TXID),
                StunTestMessages.binding().build(),
                StunTestMessages.binding().software("coturn").fingerprint().build(),
                StunTestMessages.binding().changeRequest(0x06).attr(0x0027, new byte[4]).fingerprint().build());
        Arbitrary<List<int[]>> flips = Combinators.combine(
                        Arbitraries.integers().between(0, 80), Arbitraries.integers().between(1, 255))
                .as((at, xor) -> new int[] {at, xor})
                .list().ofMaxSize(4);
        Arbitrary<Integer> cut = Arbitraries.integers().between(-1, 80);
        Arbitrary<byte[]> tail = Arbitraries.bytes().array(byte[].class).ofMaxSize(24);
        return Combinators.combine(base, flips, cut, tail).as((b, fl, c, t) -> {
            byte[] m = b.clone();
            for (int[] f : fl) {
                if (f[0] < m.length) {
                    m[f[0]] ^= (byte) f[1];
                }
            }
            if (c >= 0 && c < m.length) {
                m = Arrays.copyOf(m, c);
            }
            byte[] out = Arrays.copyOf(m, m.length + t.length);
            System.arraycopy(t, 0, out, m.length, t.length);
            return out;
        });
    }

    private static void exercise(byte[] datagram, boolean generic, InetSocketAddress sender) {
        EmbeddedChannel ch = new EmbeddedChannel(new StunHandler(generic, new StunMetrics(new SimpleMeterRegistry())));
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer(datagram.length);
        in.writeBytes(datagram);
        ch.writeInbound(new DatagramPacket(in, LOCAL, sender));
        assertThat(in.refCnt()).isZero();
        DatagramPacket reply = ch.readOutbound();
        if (reply != null) {
            try {
                ByteBuf r = reply.content();
                assertThat(r.readableBytes()).isGreaterThanOrEqualTo(20);
                assertThat(r.getUnsignedShort(2)).isEqualTo(r.readableBytes() - 20);
                assertThat(r.getInt(4)).isEqualTo(StunMessages.MAGIC_COOKIE);
                byte[] txid = new byte[12];
                r.getBytes(8, txid);
                assertThat(txid).isEqualTo(Arrays.copyOfRange(datagram, 8, 20));
                assertThat(reply.recipient()).isEqualTo(sender);
            } finally {
                reply.release();
            }
        }
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.finish()).isFalse();
    }
}
