package io.jderper.admission;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.jderper.server.ClientRegistry;
import io.jderper.server.DropReason;
import io.jderper.server.DerpMetrics;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.FuzzSupport;
import io.jderper.testsupport.RawHttp;
import io.jderper.testsupport.TestClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Abusive clients against the shared test server: whatever one client does, memory and counters stay bounded, the
 * right counter moves, and everyone else keeps relaying.
 */
class AbuseResilienceTest extends DerpServerTestBase {

    @Autowired
    MeterRegistry registry;

    /** A pair that must keep working while abuse goes on. */
    private static void assertRelays(TestClient from, TestClient to, int n) throws Exception {
        byte[] data = {(byte) n, 1, 2, 3};
        from.client.send(to.publicKey(), data);
        TestClient.Packet p = to.await(TestClient.Packet.class, x -> x.data()[0] == (byte) n, Duration.ofSeconds(3));
        assertThat(p.source()).isEqualTo(from.publicKey());
    }

    /**
     * A DERP client on a plain socket that completes the handshake and then never reads again (a Netty client with
     * auto-read off would still read whenever a read ended inside a frame).
     */
    private static final class StalledReader implements AutoCloseable {
        final NodePrivateKey key = NodePrivateKey.generate();
        final RawHttp raw;

        StalledReader(int port) throws Exception {
            raw = new RawHttp(port);
            raw.socket.setReceiveBufferSize(4096);
            raw.write("GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n");
            assertThat(raw.readHead()).startsWith("HTTP/1.1 101");
            byte[] serverKey = raw.readExactly(45);
            NodePublicKey server = NodePublicKey.fromBytes(java.util.Arrays.copyOfRange(serverKey, 13, 45));
            raw.write(FuzzSupport.clientInfo(key, server, "{\"version\":2}"));
            byte[] head = raw.readExactly(5);
            assertThat(head[0]).isEqualTo((byte) FrameType.SERVER_INFO);
            raw.readExactly(((head[3] & 0xff) << 8) | (head[4] & 0xff));
        }

        NodePublicKey publicKey() {
            return key.publicKey();
        }

        @Override
        public void close() throws Exception {
            raw.close();
        }
    }

    @Test
    void slowReaderCostsBoundedMemoryAndIsClosedByTheWriteTimeout() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl());
             StalledReader slow = new StalledReader(port());
             TestClient c = TestClient.connect(derpUrl());
             TestClient d = TestClient.connect(derpUrl())) {
            long timeouts0 = metrics.writeTimeouts.sum();
            long drops0 = 0;
            for (DropReason r : DropReason.values()) {
                drops0 += metrics.packetsDropped(r, DerpMetrics.Kind.OTHER);
            }
            long base = DirectMemory.used();
            long peak = base;
            byte[] payload = new byte[60_000];
            for (int i = 0; i < 2000 && server.registry().isLocal(slow.publicKey()); i++) {
                while (!a.client.channel().isWritable() && a.client.isOpen()) {
                    Thread.sleep(1);
                }
                a.client.send(slow.publicKey(), Unpooled.wrappedBuffer(payload));
                if (i % 100 == 0) {
                    peak = Math.max(peak, DirectMemory.used());
                    assertRelays(c, d, i / 100);
                }
            }
            assertThat(a.client.isOpen()).as("the sender is never punished for a slow receiver").isTrue();
            // Up to 120 MB went towards a reader that takes nothing: the server holds at most its queues and one
            // socket buffer's worth.
            assertThat(peak - base).as("direct memory growth while sending to a stalled reader").isLessThan(64L << 20);
            long drops = 0;
            for (DropReason r : DropReason.values()) {
                drops += metrics.packetsDropped(r, DerpMetrics.Kind.OTHER);
            }
            assertThat(drops).isGreaterThan(drops0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (server.registry().isLocal(slow.publicKey()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(server.registry().isLocal(slow.publicKey())).as("closed by the write timeout").isFalse();
            assertThat(metrics.writeTimeouts.sum()).isGreaterThan(timeouts0);
            assertRelays(c, d, 99);
        }
    }

    @Test
    void thousandConnectionsWithOneKeyStayBounded() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        List<DerpClient> same = new ArrayList<>();
        try (TestClient c = TestClient.connect(derpUrl()); TestClient d = TestClient.connect(derpUrl())) {
            long connections0 = metrics.currentConnections.get();
            long dupKeys0 = metrics.currentDupClientKeys.get();
            long totalDup0 = metrics.totalDupClientConns.sum();
            for (int batch = 0; batch < 10; batch++) {
                List<CompletableFuture<DerpClient>> pending = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    pending.add(DerpClient.connect(derpUrl(), key, DerpClientOptions.defaults(), (cl, f) -> {
                        if (f instanceof Frame.PacketFrame p) {
                            p.release();
                        }
                    }));
                }
                for (CompletableFuture<DerpClient> f : pending) {
                    same.add(f.get(20, TimeUnit.SECONDS));
                }
                assertRelays(c, d, batch);
            }
            assertThat(metrics.currentConnections.get() - connections0).isEqualTo(1000);
            assertThat(metrics.currentDupClientKeys.get() - dupKeys0).isEqualTo(1);
            assertThat(metrics.totalDupClientConns.sum() - totalDup0).isEqualTo(999);

            // The duplicates fight (last writer wins); the activity log stays one entry per connection.
            for (int round = 0; round < 200; round++) {
                same.get(round % 2).ping().get(2, TimeUnit.SECONDS);
            }
            assertThat(historySize(server.registry(), key.publicKey())).isLessThanOrEqualTo(1000);

            for (DerpClient cl : same) {
                cl.close();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (metrics.currentConnections.get() > connections0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(metrics.currentConnections.get()).isEqualTo(connections0);
            assertThat(metrics.currentDupClientKeys.get()).isEqualTo(dupKeys0);
            assertThat(server.registry().isLocal(key.publicKey())).isFalse();
            assertRelays(c, d, 42);
        } finally {
            same.forEach(DerpClient::close);
        }
    }

    /** White-box: the duplicate set's activity log, which used to grow with every alternation. */
    private static int historySize(ClientRegistry registry, NodePublicKey key) throws Exception {
        Field peers = ClientRegistry.class.getDeclaredField("peers");
        peers.setAccessible(true);
        Object entry = ((Map<?, ?>) peers.get(registry)).get(key);
        Field history = entry.getClass().getDeclaredField("history");
        history.setAccessible(true);
        List<?> h = (List<?>) history.get(entry);
        return h == null ? 0 : h.size();
    }

    @Test
    void watchConnsFloodWithoutMeshKeyIsClosedAndCounted() throws Exception {
        long malformed0 = metrics.malformedFrames.sum();
        long watchers0 = metrics.watchers.get();
        try (TestClient c = TestClient.connect(derpUrl()); TestClient d = TestClient.connect(derpUrl())) {
            for (int batch = 0; batch < 4; batch++) {
                List<TestClient> flood = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    flood.add(TestClient.connect(derpUrl()));
                }
                for (TestClient f : flood) {
                    f.client.watchConns();
                }
                for (TestClient f : flood) {
                    assertThat(f.awaitClosed(Duration.ofSeconds(5))).isTrue();
                }
                assertRelays(c, d, batch);
            }
            assertThat(metrics.malformedFrames.sum() - malformed0).isEqualTo(200);
            assertThat(metrics.watchers.get()).isEqualTo(watchers0);
        }
    }

    @Test
    void rateLimitMetricsAbsentWithoutRateConfig_C66() {
        assertThat(registry.find("derp_rate_limit_per_client_waited").meter()).isNull();
        assertThat(registry.find("derp_rate_limit_per_client_bytes_per_second").meter()).isNull();
        assertThat(registry.find("derp_rate_limit_per_client_burst_bytes").meter()).isNull();
    }
}
