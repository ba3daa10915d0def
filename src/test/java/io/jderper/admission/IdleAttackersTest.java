package io.jderper.admission;

import io.jderper.protocol.FrameType;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A few hundred plain-HTTP clients that stall before their DERP session exists: after accept, inside the request
 * head, after a DERP or WebSocket 101, inside ClientInfo. See {@link StalledClientsBase} for what is asserted.
 */
class IdleAttackersTest extends StalledClientsBase {
    @Test
    void silentAfterConnect() throws Exception {
        stallAndRecover(s -> { }, "derp_http_request_timeouts");
    }

    @Test
    void incompleteRequestHead() throws Exception {
        stallAndRecover(s -> s.getOutputStream().write("GET / HTTP/1.1\r\nHost: derp.test\r\nX-Slow: "
                .getBytes(StandardCharsets.US_ASCII)), "derp_http_request_timeouts");
    }

    @Test
    void silentAfterWebSocketUpgrade() throws Exception {
        stallAndRecover(s -> {
            s.getOutputStream().write(WS_UPGRADE.getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
        }, "derp_handshake_failures");
    }

    @Test
    void partialClientInfoOverWebSocket() throws Exception {
        stallAndRecover(s -> {
            s.getOutputStream().write(WS_UPGRADE.getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
            // One masked binary message carrying the first 10 bytes of a ClientInfo frame that announces 100.
            byte[] frame = {(byte) FrameType.CLIENT_INFO, 0, 0, 0, 100, 1, 2, 3, 4, 5};
            byte[] msg = new byte[6 + frame.length];
            msg[0] = (byte) 0x82;
            msg[1] = (byte) (0x80 | frame.length);
            System.arraycopy(frame, 0, msg, 6, frame.length); // mask key 0: payload as is
            s.getOutputStream().write(msg);
        }, "derp_handshake_failures");
    }

    @Test
    void silentAfterDerpUpgrade() throws Exception {
        stallAndRecover(s -> {
            s.getOutputStream().write(DERP_UPGRADE.getBytes(StandardCharsets.US_ASCII));
            assertThat(RawHttp.readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
        }, "derp_handshake_failures");
    }
}
