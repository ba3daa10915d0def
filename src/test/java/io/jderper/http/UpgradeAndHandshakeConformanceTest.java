package io.jderper.http;

import io.jderper.client.DerpClientOptions;
import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameWriter;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.RawHttp;
import io.jderper.testsupport.TestClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP upgrade and DERP handshake, byte for byte over raw loopback sockets (conformance §1, §3). */
class UpgradeAndHandshakeConformanceTest extends DerpServerTestBase {
    private static final String UPGRADE = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nConnection: Upgrade\r\nUpgrade: DERP\r\n\r\n";

    private String expectedHead() {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: DERP\r\nConnection: Upgrade\r\nDerp-Version: 2\r\n"
                + "Derp-Public-Key: " + server.identity().publicKey().toHex() + "\r\n\r\n";
    }

    private byte[] serverKeyFrame() {
        return HexFormat.of().parseHex("0100000028" + "44455250f09f9491" + server.identity().publicKey().toHex());
    }

    private static byte[] frameBytes(Frame f) {
        ByteBuf b = FrameWriter.encode(UnpooledByteBufAllocator.DEFAULT, f);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private byte[] clientInfo(NodePrivateKey key, String json) {
        byte[] sealed = NaclBox.between(key, server.identity().publicKey()).seal(json.getBytes(StandardCharsets.UTF_8));
        return frameBytes(new Frame.ClientInfo(key.publicKey(), sealed));
    }

    /** Reads one frame: type, length, payload. */
    private static byte[] readFrame(RawHttp raw) throws Exception {
        byte[] header = raw.readExactly(5);
        int len = ByteBuffer.wrap(header, 1, 4).getInt();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        out.write(raw.readExactly(len));
        return out.toByteArray();
    }

    @Test
    void c02_c03_upgradeResponseIsByteExactThenServerKey() throws Exception {
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(UPGRADE);
            assertThat(raw.readHead()).isEqualTo(expectedHead());
            assertThat(raw.readExactly(45)).isEqualTo(serverKeyFrame());
        }
    }

    @Test
    void c04_c05_upgradeTokenCaseMethodAndLegacyWebsocket() throws Exception {
        for (String req : new String[]{
                UPGRADE.replace("Upgrade: DERP", "Upgrade: derp"),
                UPGRADE.replace("Upgrade: DERP", "Upgrade: Derp"),
                UPGRADE.replace("GET", "POST"),
                UPGRADE.replace("Upgrade: DERP", "Upgrade: websocket")}) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(req);
                assertThat(raw.readHead()).isEqualTo(expectedHead());
                assertThat(raw.readExactly(45)).isEqualTo(serverKeyFrame());
            }
        }
    }

    @Test
    void c06_c07_fastStartSendsNoHttpAndKeepsPipelinedClientInfo() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        byte[] request = UPGRADE.replace("Upgrade: DERP", "Derp-Fast-Start: 1\r\nUpgrade: DERP").getBytes(StandardCharsets.US_ASCII);
        byte[] ci = clientInfo(key, "{\"version\":2,\"CanAckPings\":true}");
        byte[] both = new byte[request.length + ci.length];
        System.arraycopy(request, 0, both, 0, request.length);
        System.arraycopy(ci, 0, both, request.length, ci.length);
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(both);
            assertThat(readFrame(raw)).isEqualTo(serverKeyFrame());
            byte[] serverInfo = readFrame(raw);
            assertThat(serverInfo[0]).isEqualTo((byte) 0x03);
            byte[] sealed = java.util.Arrays.copyOfRange(serverInfo, 5, serverInfo.length);
            assertThat(NaclBox.between(key, server.identity().publicKey()).open(sealed))
                    .hasValueSatisfying(p -> assertThat(new String(p, StandardCharsets.UTF_8)).isEqualTo("{\"version\":2}"));
        }
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(UPGRADE.replace("Upgrade: DERP", "Derp-Fast-Start: true\r\nUpgrade: DERP"));
            assertThat(raw.readHead()).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void fastStartWithTheJavaClient() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl(), DerpClientOptions.defaults().withFastStart(server.identity().publicKey()));
             TestClient b = TestClient.connect(derpUrl())) {
            a.client.send(b.publicKey(), new byte[]{7});
            assertThat(b.nextPacket().data()).containsExactly(7);
        }
    }

    @Test
    void c08_onlyTheExactPathUpgrades() throws Exception {
        for (String path : new String[]{"/derp/", "/derpx"}) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(UPGRADE.replace("/derp ", path + " "));
                assertThat(raw.readHead()).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void c16_serverInfoFirstWithFreshNonces() throws Exception {
        byte[][] nonces = new byte[2][];
        for (int i = 0; i < 2; i++) {
            NodePrivateKey key = NodePrivateKey.generate();
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(UPGRADE);
                raw.readHead();
                raw.readExactly(45);
                raw.write(clientInfo(key, "{\"version\":2,\"CanAckPings\":true}"));
                byte[] f = readFrame(raw);
                assertThat(f[0]).isEqualTo((byte) 3);
                nonces[i] = java.util.Arrays.copyOfRange(f, 5, 29);
            }
        }
        assertThat(nonces[0]).isNotEqualTo(nonces[1]);
    }

    @Test
    void c19_c20_c22_c23_badClientInfoClosesWithoutServerInfo() throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        byte[] flipped = clientInfo(key, "{\"version\":2}");
        flipped[flipped.length - 1] ^= 1;
        byte[] wrongRecipient = frameBytes(new Frame.ClientInfo(key.publicKey(),
                NaclBox.between(key, NodePrivateKey.generate().publicKey()).seal("{}".getBytes(StandardCharsets.UTF_8))));
        byte[] zeroKey = frameBytes(new Frame.ClientInfo(NodePublicKey.ZERO, new byte[40]));
        long failures = metrics.handshakeFailures.sum();
        byte[][] cases = {flipped, wrongRecipient, clientInfo(key, "{\"version\":"), clientInfo(key, "{\"version\":\"2\"}"),
                clientInfo(key, "{\"meshKey\":\"abcd\"}"), clientInfo(key, "{\"meshKey\":\"\"}"), zeroKey,
                HexFormat.of().parseHex("0400000020" + "00".repeat(32))};
        for (byte[] bad : cases) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(UPGRADE);
                raw.readHead();
                raw.readExactly(45);
                raw.write(bad);
                assertThat(raw.closedByPeer(2000)).isTrue();
            }
        }
        assertThat(metrics.handshakeFailures.sum() - failures).isEqualTo(cases.length);
        // C-21: lenient JSON is admitted.
        for (String ok : new String[]{"{\"Version\":2,\"CANACKPINGS\":true,\"Extra\":[1,2]}", "{}"}) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(UPGRADE);
                raw.readHead();
                raw.readExactly(45);
                raw.write(clientInfo(NodePrivateKey.generate(), ok));
                assertThat(readFrame(raw)[0]).isEqualTo((byte) 3);
            }
        }
    }

    @Test
    void c26_acceptsCountFailedAndSuccessfulHandshakes() throws Exception {
        long accepts = metrics.accepts.sum();
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(UPGRADE);
            raw.readHead();
            raw.readExactly(45);
            raw.write(HexFormat.of().parseHex("0400000020" + "00".repeat(32)));
            assertThat(raw.closedByPeer(2000)).isTrue();
        }
        try (TestClient ok = TestClient.connect(derpUrl())) {
            assertThat(metrics.accepts.sum() - accepts).isEqualTo(2);
        }
    }

    @Test
    void c01_nonUpgradeRequestsGet426() throws Exception {
        for (String req : new String[]{"GET /derp HTTP/1.1\r\nHost: x\r\n\r\n", "GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"}) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(req);
                String head = raw.readHead();
                assertThat(head).startsWith("HTTP/1.1 426 Upgrade Required").contains("Content-Type: text/plain; charset=utf-8")
                        .contains("X-Content-Type-Options: nosniff");
                assertThat(new String(raw.readExactly(33), StandardCharsets.US_ASCII)).isEqualTo("DERP requires connection upgrade\n");
            }
        }
    }

    @Test
    void c10_webSocketTextMessageAndWrongSubprotocol() throws Exception {
        // (b) only "derpx" offered: 101 without a selected subprotocol, then close 1008.
        try (RawHttp raw = new RawHttp(port())) {
            raw.write("GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: derpx\r\n\r\n");
            String head = raw.readHead().toLowerCase(java.util.Locale.ROOT);
            assertThat(head).startsWith("http/1.1 101").contains("s3pplmbitxaq9kygzzhzrbk+xoo=").doesNotContain("sec-websocket-protocol");
            byte[] close = raw.readExactly(4);
            assertThat(close[0] & 0x0F).isEqualTo(0x8);
            assertThat(((close[2] & 0xFF) << 8) | (close[3] & 0xFF)).isEqualTo(1008);
        }
        // (a) a text message after a proper handshake: close 1003.
        try (RawHttp raw = new RawHttp(port())) {
            raw.write("GET /derp HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: derp\r\n\r\n");
            assertThat(raw.readHead().toLowerCase(java.util.Locale.ROOT)).contains("sec-websocket-protocol: derp");
            byte[] serverKeyMessage = raw.readExactly(2 + 45);
            assertThat(serverKeyMessage[0] & 0x0F).isEqualTo(0x2);
            raw.write(new byte[]{(byte) 0x81, (byte) 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}); // masked text "hi"
            byte[] close = raw.readExactly(4);
            assertThat(close[0] & 0x0F).isEqualTo(0x8);
            assertThat(((close[2] & 0xFF) << 8) | (close[3] & 0xFF)).isEqualTo(1003);
        }
    }

    @Test
    void c23_zeroKeyDoesNotDisturbOthers() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(UPGRADE);
                raw.readHead();
                raw.readExactly(45);
                raw.write(frameBytes(new Frame.ClientInfo(NodePublicKey.ZERO, new byte[40])));
                assertThat(raw.closedByPeer(2000)).isTrue();
            }
            a.client.send(b.publicKey(), new byte[]{1});
            assertThat(b.nextPacket().data()).containsExactly(1);
        }
    }

    @Test
    void c24_handshakeDeadlineIsEnforced() throws Exception {
        // The deadline is derper.relay.handshake-timeout (10 s as the original): measure one silent client.
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(UPGRADE);
            raw.readHead();
            raw.readExactly(45);
            long start = System.nanoTime();
            assertThat(raw.closedByPeer(13_000)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(9), Duration.ofMillis(11_500));
        }
    }

    @Test
    void pipelinedFramesBehindClientInfoAreProcessedAfterTheHandshake() throws Exception {
        try (TestClient b = TestClient.connect(derpUrl()); RawHttp raw = new RawHttp(port())) {
            NodePrivateKey key = NodePrivateKey.generate();
            raw.write(UPGRADE);
            raw.readHead();
            raw.readExactly(45);
            ByteBuf send = io.netty.buffer.Unpooled.buffer().writeByte(4).writeInt(33);
            b.publicKey().writeTo(send);
            send.writeByte(0x42);
            byte[] ci = clientInfo(key, "{}");
            byte[] pkt = ByteBufUtil.getBytes(send);
            send.release();
            byte[] both = new byte[ci.length + pkt.length];
            System.arraycopy(ci, 0, both, 0, ci.length);
            System.arraycopy(pkt, 0, both, ci.length, pkt.length);
            raw.write(both);
            assertThat(readFrame(raw)[0]).isEqualTo((byte) 3);
            TestClient.Packet p = b.nextPacket();
            assertThat(p.source()).isEqualTo(key.publicKey());
            assertThat(p.data()).containsExactly(0x42);
        }
    }
}
