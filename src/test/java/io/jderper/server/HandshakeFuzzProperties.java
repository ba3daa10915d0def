package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.NodePrivateKey;
import io.jderper.protocol.FrameType;
import io.jderper.testsupport.CapturedLogs;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.FuzzSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The whole server side of a DERP connection (handshake, admission, relay dispatch) on an embedded channel, fed
 * random and mutated client streams cut at random points: no exception reaches the end of the pipeline, every buffer
 * is released once the connection is gone, nothing stays registered, and a connection that never completes its
 * handshake is closed by the handshake deadline.
 */
class HandshakeFuzzProperties {
    private static final NodePrivateKey SERVER_KEY = NodePrivateKey.generate();
    private static final Duration PER_TRY = Duration.ofSeconds(10);
    private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 41641);

    private static DerpServer newServer() {
        RelayProperties relay = new RelayProperties(true, 32, Duration.ofSeconds(60), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO,
                Duration.ZERO, Duration.ZERO, Duration.ZERO);
        return new DerpServer(new ServerIdentity(SERVER_KEY), relay, Optional.of(DerpServerTestBase.MESH_KEY),
                ClientAdmission.ALLOW_ALL, new DerpMetrics(), new SimpleMeterRegistry(),
                HandshakeCrypto.onCallingThread());
    }

    /** Warnings and errors of the relay's handlers: an "unexpected error" there is a bug even if it was contained. */
    private static final CapturedLogs relayLog = CapturedLogs.of("io.jderper.server");

    static void run(List<byte[]> chunks) throws Exception {
        relayLog.clear();
        runQuietly(chunks);
        List<ILoggingEvent> problems = relayLog.atLeast(Level.WARN);
        assertThat(problems).as("warnings from the relay").extracting(e -> e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : " " + ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy())))
                .isEmpty();
    }

    private static void runQuietly(List<byte[]> chunks) throws Exception {
        DerpServer server = newServer();
        FuzzSupport.TrackingAllocator alloc = new FuzzSupport.TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(false, false) {
            @Override
            protected java.net.SocketAddress remoteAddress0() {
                return REMOTE;
            }
        };
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast("anchor", new ChannelInboundHandlerAdapter());
        ch.register();
        server.install(ch.pipeline(), "anchor", new ConnectionInfo(REMOTE, false, false));
        for (byte[] chunk : chunks) {
            if (!ch.isOpen()) {
                break;
            }
            ch.writeInbound(alloc.copy(chunk));
            ch.runPendingTasks();
            drainOutbound(ch);
        }
        // Past the handshake deadline: a connection still handshaking must be gone.
        ch.advanceTimeBy(11, TimeUnit.SECONDS);
        ch.runPendingTasks();
        ch.runScheduledPendingTasks();
        drainOutbound(ch);
        boolean registered = server.registry().connectionCount() > 0;
        if (!registered) {
            assertThat(ch.isOpen()).as("not registered after the handshake deadline, so closed").isFalse();
        }
        ch.checkException();
        ch.close();
        ch.runPendingTasks();
        ch.runScheduledPendingTasks();
        drainOutbound(ch);
        ch.finishAndReleaseAll();
        assertThat(server.registry().connectionCount()).isZero();
        assertThat(server.metrics().currentConnections.get()).isZero();
        assertThat(alloc.unreleased()).as("buffers still referenced after the connection closed").isEmpty();
    }

    private static void drainOutbound(EmbeddedChannel ch) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    @Property(tries = 300)
    void mutatedHandshakes(@ForAll("sessions") byte[] session, @ForAll("edits") List<int[]> edits,
                           @ForAll @Size(max = 10) List<Integer> cuts) {
        assertTimeoutPreemptively(PER_TRY, () -> run(FuzzSupport.split(FuzzSupport.mutate(session, edits), cuts)));
    }

    @Property(tries = 200)
    void validSessionsCutAnywhere(@ForAll("sessions") byte[] session, @ForAll @Size(max = 10) List<Integer> cuts) {
        assertTimeoutPreemptively(PER_TRY, () -> run(FuzzSupport.split(session, cuts)));
    }

    @Property(tries = 200)
    void randomBytes(@ForAll @Size(max = 300) byte[] stream, @ForAll @Size(max = 6) List<Integer> cuts) {
        assertTimeoutPreemptively(PER_TRY, () -> run(FuzzSupport.split(stream, cuts)));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return FuzzSupport.edits(3);
    }

    /** A ClientInfo sealed to the server (with one of several plaintexts) followed by ordinary frames. */
    @Provide
    Arbitrary<byte[]> sessions() {
        Arbitrary<String> plaintexts = Arbitraries.of(
                "{\"version\":2,\"CanAckPings\":true}",
                "{}",
                "null",
                "{\"Version\":2,\"CANACKPINGS\":true,\"Extra\":[1,2]}",
                "{\"meshKey\":\"" + DerpServerTestBase.MESH_KEY_HEX + "\",\"version\":2}",
                "{\"meshKey\":\"" + "ab".repeat(32) + "\"}",
                "{\"meshKey\":\"abcd\"}",
                "{\"version\":\"2\"}",
                "{\"version\":",
                "{\"IsProber\":true}");
        Arbitrary<byte[]> frames = FuzzSupport.clientFrames(200, 40, 60);
        return Combinators.combine(plaintexts, frames.list().ofMaxSize(6), Arbitraries.of(true, false))
                .as((plain, rest, selfSend) -> {
                    NodePrivateKey client = NodePrivateKey.generate();
                    List<byte[]> all = new ArrayList<>();
                    all.add(clientInfo(client, plain));
                    if (selfSend) {
                        byte[] p = new byte[36];
                        System.arraycopy(client.publicKey().toBytes(), 0, p, 0, 32);
                        all.add(FuzzSupport.frame(FrameType.SEND_PACKET, p));
                    }
                    all.addAll(rest);
                    return FuzzSupport.concat(all);
                });
    }

    /**
     * Found by {@link #mutatedHandshakes}: a mesh peer (admitted synchronously) or a regular client with a malformed
     * frame pipelined right behind ClientInfo. The violation must close the connection through the handler, not
     * reach the pipeline's tail or touch a released buffer.
     */
    @Test
    void malformedFramePipelinedBehindClientInfo() throws Exception {
        for (String plain : List.of("{\"meshKey\":\"" + DerpServerTestBase.MESH_KEY_HEX + "\",\"version\":2}", "{}")) {
            byte[] session = FuzzSupport.concat(List.of(clientInfo(NodePrivateKey.generate(), plain),
                    new byte[] {FrameType.WATCH_CONNS, 0, 0, 0, 1}));
            run(List.of(session));
        }
    }

    private static byte[] clientInfo(NodePrivateKey client, String plain) {
        return FuzzSupport.clientInfo(client, SERVER_KEY.publicKey(), plain);
    }
}
