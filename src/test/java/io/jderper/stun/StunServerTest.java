package io.jderper.stun;

import io.jderper.config.DerperProperties;
import io.jderper.config.StunProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.jderper.client.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real UDP listener on loopback, driven by a JDK DatagramSocket client. */
class StunServerTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private StunServer server;

    static DerperProperties derper(String listen) {
        return new DerperProperties(false, listen, "derp.test", null, "");
    }

    /** Overridden by {@link StunServerNioTest} and {@link StunServerIoUringTest} to run every case on those too. */
    Transport transport() {
        return available(Transport.EPOLL);
    }

    static Transport available(Transport t) {
        Assumptions.assumeTrue(t.isAvailable(), () -> t + " transport not available here: " + t.unavailabilityCause());
        return t;
    }

    private StunServer start(String listen, int port, boolean generic) {
        server = new StunServer(new StunProperties(true, port, generic), derper(listen), registry, transport());
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private double count(String name, String tag, String value) {
        return registry.get(name).tag(tag, value).counter().count();
    }

    /** The success counter moves when the send completes, which can be just after the client already has the reply. */
    private double awaitCount(String name, String tag, String value, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (count(name, tag, value) < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return count(name, tag, value);
    }

    private static byte[] exchange(DatagramSocket client, InetSocketAddress to, byte[] request) throws Exception {
        client.send(new DatagramPacket(request, request.length, to));
        byte[] buf = new byte[1500];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        client.receive(reply);
        return Arrays.copyOf(buf, reply.getLength());
    }

    @Test
    void c86_ipv4LoopbackBindingResponse() throws Exception {
        start("127.0.0.1:0", 0, false);
        assertThat(server.isRunning()).isTrue();
        InetSocketAddress addr = server.localAddress();
        assertThat(addr.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(addr.getPort()).isPositive();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(1000);
            byte[] txid = StunTestMessages.randomTxid();
            byte[] reply = exchange(client, addr, StunTestMessages.tailscaleRequest(txid));
            assertThat(reply).hasSize(32);
            assertThat(reply[0]).isEqualTo((byte) 0x01);
            assertThat(reply[1]).isEqualTo((byte) 0x01);
            assertThat(Arrays.copyOfRange(reply, 8, 20)).isEqualTo(txid);
            assertThat(reply[25]).isEqualTo((byte) 0x01);
            assertThat(StunTestMessages.decodeXorMapped(reply)).isEqualTo(client.getLocalSocketAddress());
        }
        assertThat(awaitCount("stun_requests", "disposition", "success", 1)).isEqualTo(1);
        assertThat(count("stun_addrfamily", "family", "ipv4")).isEqualTo(1);
    }

    @Test
    void c87_ipv6LoopbackBindingResponse() throws Exception {
        start("[::1]:0", 0, false);
        InetSocketAddress addr = server.localAddress();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            client.setSoTimeout(1000);
            byte[] txid = StunTestMessages.randomTxid();
            byte[] reply = exchange(client, addr, StunTestMessages.tailscaleRequest(txid));
            assertThat(reply).hasSize(44);
            assertThat(reply[25]).isEqualTo((byte) 0x02);
            assertThat(Arrays.copyOfRange(reply, 8, 20)).isEqualTo(txid);
            InetSocketAddress mapped = StunTestMessages.decodeXorMapped(reply);
            assertThat(mapped.getAddress()).isEqualTo(InetAddress.getByName("::1"));
            assertThat(mapped.getPort()).isEqualTo(client.getLocalPort());
        }
        assertThat(count("stun_addrfamily", "family", "ipv6")).isEqualTo(1);
        assertThat(awaitCount("stun_requests", "disposition", "success", 1)).isEqualTo(1);
    }

    @Test
    void c88_nonTailscaleDatagramsGetNoAnswer() throws Exception {
        start("127.0.0.1:0", 0, false);
        InetSocketAddress addr = server.localAddress();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(2000);
            for (byte[] d : StunMessagesTest.tailscaleRejects()) {
                client.send(new DatagramPacket(d, d.length, addr));
            }
            // A valid request sent last: the first thing back must be its answer, so none of the five got one.
            byte[] txid = StunTestMessages.randomTxid();
            byte[] reply = exchange(client, addr, StunTestMessages.tailscaleRequest(txid));
            assertThat(Arrays.copyOfRange(reply, 8, 20)).isEqualTo(txid);
        }
        assertThat(count("stun_requests", "disposition", "not_stun")).isEqualTo(5);
        assertThat(awaitCount("stun_requests", "disposition", "success", 1)).isEqualTo(1);
    }

    @Test
    void genericClientAnsweredOnlyWhenEnabled() throws Exception {
        start("127.0.0.1:0", 0, true);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(1000);
            byte[] reply = exchange(client, server.localAddress(), StunTestMessages.binding().build());
            assertThat(StunTestMessages.decodeXorMapped(reply)).isEqualTo(client.getLocalSocketAddress());
        }
    }

    @Test
    void c89_disabledServerDoesNotListen() throws Exception {
        int port;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            port = probe.getLocalPort();
        }
        server = new StunServer(new StunProperties(false, port, true), derper("127.0.0.1:0"), registry,
                transport());
        server.start();
        assertThat(server.isEnabled()).isFalse();
        assertThat(server.isRunning()).isFalse();
        assertThat(server.localAddress()).isNull();
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(500);
            byte[] req = StunTestMessages.tailscaleRequest(StunTestMessages.randomTxid());
            client.send(new DatagramPacket(req, req.length, new InetSocketAddress("127.0.0.1", port)));
            assertThatThrownBy(() -> client.receive(new DatagramPacket(new byte[64], 64)))
                    .isInstanceOfAny(SocketTimeoutException.class, java.net.PortUnreachableException.class);
        }
        // The series still exist, as in the original's metrics page.
        assertThat(count("stun_requests", "disposition", "success")).isZero();
    }

    @Test
    void busyPortFailsStartupNamingTheProperty() throws Exception {
        try (DatagramSocket occupant = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            StunServer busy = new StunServer(new StunProperties(true, occupant.getLocalPort(), false),
                    derper("127.0.0.1:443"), registry, transport());
            assertThatThrownBy(busy::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("derper.stun.port")
                    .hasMessageContaining("127.0.0.1:" + occupant.getLocalPort());
            assertThat(busy.isRunning()).isFalse();
            busy.stop();
        }
    }

    @Test
    void stopReleasesThePortAndIsIdempotent() throws Exception {
        start("127.0.0.1:0", 0, false);
        int port = server.localAddress().getPort();
        server.stop();
        assertThat(server.isRunning()).isFalse();
        server.stop();
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void socketClosedUnderneathIsRebound() throws Exception {
        start("127.0.0.1:0", 0, false);
        InetSocketAddress addr = server.localAddress();
        server.channelForTest().close().syncUninterruptibly();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!server.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.isRunning()).isTrue();
        assertThat(server.localAddress()).isEqualTo(addr);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(1000);
            byte[] txid = StunTestMessages.randomTxid();
            byte[] reply = exchange(client, addr, StunTestMessages.tailscaleRequest(txid));
            assertThat(Arrays.copyOfRange(reply, 8, 20)).isEqualTo(txid);
        }
    }
}
