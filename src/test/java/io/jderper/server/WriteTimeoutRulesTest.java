package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.FrameWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.jderper.server.RelayFixtures.stall;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which write timeout a stalled receiver gets (C-37): a client the regular one, a mesh peer (a sibling's link, which
 * carries many clients' traffic) the longer mesh one, and none at all when the regular one is zero. Time is the
 * embedded loops' own clock, advanced by the test.
 */
class WriteTimeoutRulesTest {
    private static final String MESH_KEY_HEX = randomHex();

    @RegisterExtension
    final OpenChannels open = new OpenChannels();

    private static String randomHex() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The fixtures' settings with another regular write timeout and a keep-alive that stays out of the way. */
    private static RelayProperties properties(Duration writeTimeout) {
        RelayProperties d = RelayFixtures.relayProperties();
        return new RelayProperties(true, d.sendQueueDepth(), Duration.ofDays(1), d.keepAliveJitter(),
                d.handshakeTimeout(), writeTimeout, d.meshWriteTimeout(), d.drainPeriod(), d.restartReconnectIn(),
                d.restartTryFor(), d.readinessGrace(), d.tcpRttInterval());
    }

    private static DerpServer meshServer(RelayProperties props) {
        return new DerpServer(new ServerIdentity(NodePrivateKey.generate()), props,
                Optional.of(MeshKey.parse(MESH_KEY_HEX)), ClientAdmission.ALLOW_ALL, new DerpMetrics(),
                new SimpleMeterRegistry(), HandshakeCrypto.onCallingThread());
    }

    private EmbeddedChannel connect(DerpServer server, NodePrivateKey key) {
        return open.connect(server, key);
    }

    /** Handshakes as a mesh peer: the ClientInfo carries the server's mesh key. */
    private EmbeddedChannel connectMeshPeer(DerpServer server, NodePrivateKey key) {
        EmbeddedChannel ch = open.track(new EmbeddedChannel());
        ch.pipeline().addLast(RelayFixtures.UPSTREAM, new ChannelInboundHandlerAdapter());
        server.install(ch.pipeline(), RelayFixtures.UPSTREAM, new ConnectionInfo(RelayFixtures.REMOTE, false, false));
        ClientInfoPayload payload = new ClientInfoPayload(MESH_KEY_HEX, FrameType.PROTOCOL_VERSION, true, false, "");
        byte[] sealed = NaclBox.between(key, server.identity().publicKey()).seal(payload.toJson());
        ch.writeInbound(FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, new Frame.ClientInfo(key.publicKey(), sealed)));
        ch.runPendingTasks();
        RelayFixtures.drainOutbound(ch);
        ClientConnection c = server.registry().connections().stream()
                .filter(x -> x.key().equals(key.publicKey())).findFirst().orElseThrow();
        assertThat(c.isMeshPeer()).isTrue();
        return ch;
    }

    private static void send(EmbeddedChannel from, NodePublicKey to) {
        ByteBuf header = FrameWriter.sendPacketHeader(UnpooledByteBufAllocator.DEFAULT, to, 64);
        from.writeInbound(Unpooled.buffer(header.readableBytes() + 64).writeBytes(header).writeZero(64));
        header.release();
    }

    /** Makes {@code ch} unwritable: a tiny high-water mark and an unflushed write above it. */
    /** A sender, a client and a mesh peer, the last two stalled with one packet queued for each. */
    private record Stalled(EmbeddedChannel sender, EmbeddedChannel client, EmbeddedChannel mesh, NodePublicKey meshKey) {
    }

    private Stalled stalledClientAndMeshPeer(DerpServer server) {
        NodePrivateKey clientKey = NodePrivateKey.generate();
        NodePrivateKey meshKey = NodePrivateKey.generate();
        EmbeddedChannel sender = connect(server, NodePrivateKey.generate());
        EmbeddedChannel client = connect(server, clientKey);
        EmbeddedChannel mesh = connectMeshPeer(server, meshKey);
        stall(client);
        stall(mesh);
        send(sender, clientKey.publicKey());
        send(sender, meshKey.publicKey());
        client.runPendingTasks();
        mesh.runPendingTasks();
        return new Stalled(sender, client, mesh, meshKey.publicKey());
    }

    private static void advance(EmbeddedChannel ch, Duration by) {
        ch.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        ch.runScheduledPendingTasks();
    }

    private static int recvPackets(EmbeddedChannel ch) {
        ch.runPendingTasks();
        int n = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            if (b.readableBytes() > 0 && b.getUnsignedByte(b.readerIndex()) == FrameType.RECV_PACKET) {
                n++;
            }
            ReferenceCountUtil.release(b);
        }
        return n;
    }

    @Test
    void theMeshWriteTimeoutDefaultsToThirtySeconds() throws Exception {
        RecordComponent[] components = RelayProperties.class.getRecordComponents();
        int index = Arrays.stream(components).map(RecordComponent::getName).toList().indexOf("meshWriteTimeout");
        Constructor<RelayProperties> canonical = RelayProperties.class.getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        DefaultValue defaultValue = canonical.getParameters()[index].getAnnotation(DefaultValue.class);
        assertThat(defaultValue.value()).containsExactly("30s");
        assertThat(RelayFixtures.relayProperties().meshWriteTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void aStalledMeshPeerIsClosedAfterTheMeshWriteTimeoutNotTheRegularOne() {
        RelayProperties props = RelayFixtures.relayProperties();
        DerpServer server = meshServer(props);
        Stalled stalled = stalledClientAndMeshPeer(server);
        EmbeddedChannel sender = stalled.sender();
        EmbeddedChannel client = stalled.client();
        EmbeddedChannel mesh = stalled.mesh();
        NodePublicKey meshKey = stalled.meshKey();
        Duration regular = props.writeTimeout();
        Duration meshTimeout = props.meshWriteTimeout();

        Duration justPastRegular = regular.plusMillis(100);
        advance(client, justPastRegular);
        advance(mesh, justPastRegular);
        assertThat(client.isActive()).as("a client: the regular timeout").isFalse();
        assertThat(mesh.isActive()).as("a mesh peer outlives the regular timeout").isTrue();
        assertThat(server.metrics().writeTimeouts.sum()).isEqualTo(1);

        advance(mesh, meshTimeout.minus(justPastRegular).minusMillis(200));
        assertThat(mesh.isActive()).as("still open just before the mesh timeout").isTrue();
        advance(mesh, Duration.ofMillis(200));
        assertThat(mesh.isActive()).as("closed at the mesh timeout").isFalse();
        assertThat(server.metrics().writeTimeouts.sum()).isEqualTo(2);
        assertThat(server.registry().isLocal(meshKey)).isFalse();
        assertThat(sender.isActive()).isTrue();
    }

    @Test
    void aZeroWriteTimeoutLeavesAStalledClientOpenForGoodButNotAStalledMeshPeer() {
        RelayProperties props = properties(Duration.ZERO);
        DerpServer server = meshServer(props);
        Stalled stalled = stalledClientAndMeshPeer(server);
        EmbeddedChannel client = stalled.client();
        EmbeddedChannel mesh = stalled.mesh();

        advance(client, Duration.ofHours(1));
        advance(mesh, Duration.ofHours(1));
        assertThat(client.isActive()).as("no write timeout for clients").isTrue();
        assertThat(mesh.isActive()).as("the mesh timeout is separate and always on").isFalse();
        assertThat(server.metrics().writeTimeouts.sum()).isEqualTo(1);

        client.config().setWriteBufferWaterMark(WriteBufferWaterMark.DEFAULT);
        client.flush();
        assertThat(recvPackets(client)).as("the packet waited an hour and is still delivered").isEqualTo(1);
        assertThat(server.metrics().packetsDropped(DropReason.GONE_DISCONNECTED, DerpMetrics.Kind.OTHER))
                .as("the mesh peer's queued packet").isEqualTo(1);
    }

    @Test
    void aZeroMeshWriteTimeoutIsRefusedNamingTheProperty() {
        RelayProperties d = RelayFixtures.relayProperties();
        assertThatThrownBy(() -> new RelayProperties(true, d.sendQueueDepth(), d.keepAlive(), d.keepAliveJitter(),
                d.handshakeTimeout(), d.writeTimeout(), Duration.ZERO, d.drainPeriod(), d.restartReconnectIn(),
                d.restartTryFor(), d.readinessGrace(), d.tcpRttInterval()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("derper.relay.mesh-write-timeout");
    }
}
