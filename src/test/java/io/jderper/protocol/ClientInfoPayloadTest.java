package io.jderper.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Go encoding/json semantics of the ClientInfo plaintext (derp-protocol.md §7.3, C-20..C-22). */
class ClientInfoPayloadTest {
    private static ClientInfoPayload parse(String json) {
        return ClientInfoPayload.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void c21_lenientKeysAndUnknownFields() {
        ClientInfoPayload p = parse("{\"Version\":2,\"CANACKPINGS\":true,\"Extra\":[1,2],\"isprober\":true}");
        assertThat(p.version()).isEqualTo(2);
        assertThat(p.canAckPings()).isTrue();
        assertThat(p.isProber()).isTrue();
        assertThat(parse("{}").meshKeyHex()).isNull();
        assertThat(parse("null").version()).isZero();
        assertThat(parse("{\"version\":null}").version()).isZero();
        assertThat(parse("{\"MeshKey\":\"" + "AB".repeat(32) + "\"}").meshKeyHex()).isEqualTo("AB".repeat(32));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"version\":", "{\"version\":\"2\"}", "[]", "{\"version\":2.5}", "{\"CanAckPings\":\"yes\"}",
            "{\"version\":2} x", "{\"meshKey\":\"abcd\"}", "{\"meshKey\":\"\"}", "{\"meshKey\":null}", "{\"meshKey\":1234}",
            "{\"AppName\":3}"})
    void c20_c22_errors(String json) {
        assertThatThrownBy(() -> parse(json)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void serialisesLikeTheGoClient() {
        assertThat(new String(new ClientInfoPayload(null, 2, true, false, "").toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"version\":2,\"CanAckPings\":true}");
        String mesh = "ab".repeat(32);
        assertThat(new String(new ClientInfoPayload(mesh, 2, false, true, "").toJson(), StandardCharsets.UTF_8))
                .isEqualTo("{\"meshKey\":\"" + mesh + "\",\"version\":2,\"CanAckPings\":false,\"IsProber\":true}");
    }
}
