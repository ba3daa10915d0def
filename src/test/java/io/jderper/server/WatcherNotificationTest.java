package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameWriter;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.PeerGoneReason;
import io.jderper.testsupport.DerpServerTestBase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watched side of the mesh (C-60): a watcher hears of a client's arrival and departure in the same task that
 * registers or unregisters the client, flushed, with no task queued on the watcher's loop and no timer. Embedded
 * channels make that visible: the frame is in the watcher's outbound before anything of the watcher's loop has run.
 */
class WatcherNotificationTest {
    private static final String UPSTREAM = "test.upstream";

    private DerpServer server;
    private EmbeddedChannel watcher;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        RelayProperties relay = new RelayProperties(true, 32, Duration.ofSeconds(60), Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ZERO, Duration.ZERO);
        server = new DerpServer(new ServerIdentity(NodePrivateKey.generate()), relay,
                Optional.of(MeshKey.parse(DerpServerTestBase.MESH_KEY_HEX)), ClientAdmission.ALLOW_ALL, new DerpMetrics(),
                new SimpleMeterRegistry(), HandshakeCrypto.onCallingThread());
        watcher = connect(NodePrivateKey.generate(), DerpServerTestBase.MESH_KEY_HEX);
        watcher.writeInbound(FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, Frame.WatchConns.INSTANCE));
        watcher.runPendingTasks();
        // The snapshot: the watcher's own connection.
        assertThat(frameTypes(watcher)).containsExactly(FrameType.PEER_PRESENT);
    }

    @AfterEach
    void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void c60_peerPresentIsFlushedToTheWatcherInTheRegisteringTask() {
        NodePrivateKey key = NodePrivateKey.generate();
        EmbeddedChannel client = connect(key, null);

        // Nothing of the watcher's loop has run since: no pending task, no scheduled flush.
        ByteBuf frame = watcher.readOutbound();
        assertThat(frame).as("PeerPresent written and flushed by the registration itself").isNotNull();
        try {
            assertThat(frame.getUnsignedByte(frame.readerIndex())).isEqualTo((short) FrameType.PEER_PRESENT);
            assertThat(NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH)).isEqualTo(key.publicKey());
        } finally {
            frame.release();
        }
        assertThat(client.isActive()).isTrue();
    }

    @Test
    void c60_peerGoneIsFlushedToTheWatcherInTheUnregisteringTask() {
        NodePrivateKey key = NodePrivateKey.generate();
        EmbeddedChannel client = connect(key, null);
        assertThat(frameTypes(watcher)).containsExactly(FrameType.PEER_PRESENT);

        client.close();
        ByteBuf frame = watcher.readOutbound();
        assertThat(frame).as("PeerGone written and flushed by the unregistration itself").isNotNull();
        try {
            assertThat(frame.getUnsignedByte(frame.readerIndex())).isEqualTo((short) FrameType.PEER_GONE);
            assertThat(NodePublicKey.read(frame, frame.readerIndex() + FrameType.HEADER_LENGTH)).isEqualTo(key.publicKey());
            assertThat(frame.getUnsignedByte(frame.readerIndex() + FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH))
                    .isEqualTo((short) PeerGoneReason.DISCONNECTED.code());
        } finally {
            frame.release();
        }
    }

    /** An embedded channel handshaken as {@code key}; its own outbound (ServerKey, ServerInfo) is discarded. */
    private EmbeddedChannel connect(NodePrivateKey key, String meshKeyHex) {
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        ch.pipeline().addLast(UPSTREAM, new ChannelInboundHandlerAdapter());
        server.install(ch.pipeline(), UPSTREAM, new ConnectionInfo(new InetSocketAddress("127.0.0.1", 40000 + channels.size()),
                false, false));
        ClientInfoPayload payload = new ClientInfoPayload(meshKeyHex, FrameType.PROTOCOL_VERSION, true, false, "");
        byte[] sealed = NaclBox.between(key, server.identity().publicKey()).seal(payload.toJson());
        ch.writeInbound(FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, new Frame.ClientInfo(key.publicKey(), sealed)));
        ch.runPendingTasks();
        assertThat(server.registry().isLocal(key.publicKey())).as("registered").isTrue();
        frameTypes(ch);
        return ch;
    }

    /** Reads and releases everything in the channel's outbound, returning the frame types in order. */
    private static List<Integer> frameTypes(EmbeddedChannel ch) {
        List<Integer> types = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b && b.isReadable()) {
                types.add((int) b.getUnsignedByte(b.readerIndex()));
            }
            ReferenceCountUtil.release(o);
        }
        return types;
    }
}
