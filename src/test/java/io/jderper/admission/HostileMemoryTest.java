package io.jderper.admission;

import io.jderper.protocol.FrameType;
import io.jderper.testsupport.FuzzSupport;
import io.jderper.testsupport.TestClient;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory after an attack (operations.md, "Memory under hostile input"): 2,000 connections of fuzzed input over real
 * sockets (mutated handshakes, frames announced at their maximum and left half-sent, oversized WebSocket messages,
 * garbage HTTP, random bytes), some abandoned by the client, some left to the server's deadlines. Once they are all
 * gone, the buffers they held are back: direct memory in use and heap in use after a collection return to within
 * the documented margin of the idle figures.
 */
@TestPropertySource(properties = {
        "derper.relay.handshake-timeout=1s",
        "derper.limits.http-request-timeout=1s",
})
class HostileMemoryTest extends GuardedServerBase {
    static final int CONNECTIONS = 2000;
    /** The margins operations.md documents. */
    static final long DIRECT_MARGIN = 16L << 20;
    static final long HEAP_MARGIN = 32L << 20;

    @Autowired
    ReactorResourceFactory reactor;

    /** Collects garbage and gives pooled caches back, the way an idle server would over time. */
    private long[] settle() throws Exception {
        EventLoopGroup loops = reactor.getLoopResources().onServer(true);
        List<Future<?>> trims = new ArrayList<>();
        for (EventExecutor loop : loops) {
            trims.add(loop.submit(() -> {
                if (ByteBufAllocator.DEFAULT instanceof PooledByteBufAllocator p) {
                    p.trimCurrentThreadCache();
                }
            }));
        }
        for (Future<?> f : trims) {
            f.get(5, TimeUnit.SECONDS);
        }
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return new long[] {DirectMemory.used(), DirectMemory.allocator(), mem.getHeapMemoryUsage().getUsed(), mem.getHeapMemoryUsage().getCommitted()};
    }

    private void awaitQuiet() throws InterruptedException {
        for (int i = 0; i < 400 && (count("derp_limit_pending_connections") > 0 || count("derp_limit_derp_connections") > 0); i++) {
            Thread.sleep(25);
        }
        assertThat(count("derp_limit_pending_connections")).isZero();
        assertThat(count("derp_limit_derp_connections")).isZero();
    }

    private static byte[] header(int type, int length) {
        return ByteBuffer.allocate(5).put((byte) type).putInt(length).array();
    }

    private static byte[] wsFrame(int firstByte, long length, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + payload.length);
        b.put((byte) firstByte);
        if (length < 126) {
            b.put((byte) (0x80 | length));
        } else if (length <= 0xFFFF) {
            b.put((byte) (0x80 | 126)).putShort((short) length);
        } else {
            b.put((byte) (0x80 | 127)).putLong(length);
        }
        b.putInt(0); // mask key 0: the payload travels as is
        b.put(payload);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** One hostile connection, chosen and shaped by {@code rnd}. */
    private void attack(Random rnd) throws IOException {
        try (Socket s = open()) {
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            byte[] junk = new byte[rnd.nextInt(60_000)];
            rnd.nextBytes(junk);
            switch (rnd.nextInt(6)) {
                case 0 -> { // ClientInfo announced at its maximum, partly sent
                    out.write(IdleAttackersTest.DERP_UPGRADE.getBytes(StandardCharsets.US_ASCII));
                    out.write(header(FrameType.CLIENT_INFO, FrameType.MAX_CLIENT_INFO));
                    out.write(junk);
                }
                case 1 -> { // a mutated ClientInfo frame
                    out.write(IdleAttackersTest.DERP_UPGRADE.getBytes(StandardCharsets.US_ASCII));
                    byte[] frame = FuzzSupport.frame(FrameType.CLIENT_INFO, java.util.Arrays.copyOf(junk, 32 + 24 + rnd.nextInt(200)));
                    out.write(FuzzSupport.mutate(frame, List.of(new int[] {rnd.nextInt(), rnd.nextInt()})));
                }
                case 2 -> { // a WebSocket message announced at the limit, partly sent
                    out.write(IdleAttackersTest.WS_UPGRADE.getBytes(StandardCharsets.US_ASCII));
                    out.write(wsFrame(0x82, 65_000, junk));
                }
                case 3 -> { // a WebSocket message beyond the limit
                    out.write(IdleAttackersTest.WS_UPGRADE.getBytes(StandardCharsets.US_ASCII));
                    out.write(wsFrame(0x82, 1L << 30, java.util.Arrays.copyOf(junk, Math.min(junk.length, 4096))));
                }
                case 4 -> { // an HTTP head that never ends
                    out.write(("GET / HTTP/1.1\r\nHost: derp.test\r\nX-Junk: " + "a".repeat(rnd.nextInt(9000)))
                            .getBytes(StandardCharsets.US_ASCII));
                }
                default -> out.write(junk); // random bytes
            }
            out.flush();
            if (rnd.nextBoolean()) {
                drainUntilClosed(s, 3000); // left to the server's deadline or error handling
            }
        } catch (IOException e) {
            // the server may close mid-write (a reset): that is one of the outcomes under test
        }
    }

    @Test
    void memoryReturnsToIdleAfterFuzzedConnections() throws Exception {
        // Warm up the ordinary paths, so the baseline includes what any server holds once it has served clients.
        for (int i = 0; i < 10; i++) {
            try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
                a.client.send(b.publicKey(), new byte[1000]);
                b.nextPacket();
            }
        }
        awaitQuiet();
        long[] idle = settle();

        ExecutorService pool = Executors.newFixedThreadPool(16);
        long peakDirect = 0;
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                Random rnd = new Random(i);
                runs.add(pool.submit(() -> {
                    attack(rnd);
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(120, TimeUnit.SECONDS);
                peakDirect = Math.max(peakDirect, DirectMemory.used());
            }
        } finally {
            pool.shutdownNow();
        }
        awaitQuiet();
        long[] after = settle();
        System.out.printf("hostile-memory allocator=%s direct idle=%d peak=%d after=%d (allocator idle=%d after=%d) "
                        + "heap used idle=%d after=%d committed idle=%d after=%d%n",
                ByteBufAllocator.DEFAULT.getClass().getSimpleName(), idle[0], peakDirect, after[0], idle[1], after[1],
                idle[2], after[2], idle[3], after[3]);
        assertThat(after[0] - idle[0]).as("direct memory left in use after the attack").isLessThanOrEqualTo(DIRECT_MARGIN);
        assertThat(after[2] - idle[2]).as("heap in use after a collection").isLessThanOrEqualTo(HEAP_MARGIN);
        // The attack did reach the buffers this measures: the decoder cumulations grew while it ran.
        assertThat(peakDirect).isGreaterThan(idle[0]);
    }
}
