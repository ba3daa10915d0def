package io.jderper.http;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one upgrade test the upgrade handler and the listener's front guard share, on plain request objects. */
class DerpUpgradeKindTest {

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static DerpUpgradeKind classify(String uri, String... headers) {
        return DerpUpgradeKind.classify(request(HttpMethod.GET, uri, headers));
    }

    @Test
    void noUpgradeHeaderOrAnotherTokenIsNoUpgrade() { // C-01
        assertThat(classify("/derp")).isEqualTo(DerpUpgradeKind.NONE);
        assertThat(classify("/derp", "Upgrade", "h2c")).isEqualTo(DerpUpgradeKind.NONE);
        assertThat(classify("/derp", "Upgrade", "")).isEqualTo(DerpUpgradeKind.NONE);
        assertThat(DerpUpgradeKind.NONE.isUpgrade()).isFalse();
    }

    @Test
    void upgradeDerpIsPlainInAnyCaseAndWithAnyMethod() { // C-02, C-04
        assertThat(classify("/derp", "Upgrade", "DERP", "Connection", "Upgrade")).isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(classify("/derp", "Upgrade", "derp")).isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(classify("/derp", "Upgrade", "Derp")).isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(DerpUpgradeKind.classify(request(HttpMethod.POST, "/derp", "Upgrade", "DERP")))
                .isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(DerpUpgradeKind.PLAIN.isUpgrade()).isTrue();
    }

    @Test
    void websocketWithoutADerpSubprotocolIsLegacyPlain() { // C-05
        assertThat(classify("/derp", "Upgrade", "websocket")).isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(classify("/derp", "Upgrade", "WebSocket", "Sec-WebSocket-Protocol", "chat"))
                .isEqualTo(DerpUpgradeKind.PLAIN);
    }

    @Test
    void onlyTheExactPathUpgradesQueryAllowed() { // C-08
        assertThat(classify("/derp/", "Upgrade", "DERP")).isEqualTo(DerpUpgradeKind.NONE);
        assertThat(classify("/derpx", "Upgrade", "DERP")).isEqualTo(DerpUpgradeKind.NONE);
        assertThat(classify("/derp/probe", "Upgrade", "websocket", "Sec-WebSocket-Protocol", "derp"))
                .isEqualTo(DerpUpgradeKind.NONE);
        assertThat(classify("/derp?x=1", "Upgrade", "DERP")).isEqualTo(DerpUpgradeKind.PLAIN);
        assertThat(DerpUpgradeKind.isDerpPath("/derp?")).isTrue();
        assertThat(DerpUpgradeKind.isDerpPath("/")).isFalse();
    }

    @Test
    void websocketOfferingDerpIsWebSocket() { // C-09
        assertThat(classify("/derp", "Upgrade", "websocket", "Connection", "Upgrade", "Sec-WebSocket-Protocol", "derp"))
                .isEqualTo(DerpUpgradeKind.WEBSOCKET);
        assertThat(classify("/derp", "Upgrade", "WEBSOCKET", "Sec-WebSocket-Protocol", "chat, derp"))
                .isEqualTo(DerpUpgradeKind.WEBSOCKET);
        assertThat(DerpUpgradeKind.WEBSOCKET.isUpgrade()).isTrue();
    }

    @Test
    void anOfferThatOnlyContainsDerpStillTakesTheWebSocketPath() { // C-10 (b): refused later, by the handshake
        assertThat(classify("/derp", "Upgrade", "websocket", "Sec-WebSocket-Protocol", "derpx"))
                .isEqualTo(DerpUpgradeKind.WEBSOCKET);
    }
}
