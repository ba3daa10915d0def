package io.jderper.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import java.util.Locale;

/**
 * What an HTTP request asks of the DERP endpoint, from its path and headers alone: the one answer both the upgrade
 * handler (which performs the upgrade) and the listener's front guard (which takes a set-up slot exactly when an
 * upgrade will happen) act on. Whether the relay accepts connections at all is the caller's to check.
 */
public enum DerpUpgradeKind {
    /** Raw DERP after a 101: {@code Upgrade: DERP} in any case, or the legacy {@code Upgrade: websocket} without derp. */
    PLAIN,
    /** DERP over WebSocket: {@code Upgrade: websocket} offering a subprotocol that contains {@code derp}. */
    WEBSOCKET,
    /** Not a DERP upgrade: another path, or no (or another) upgrade token. */
    NONE;

    public static DerpUpgradeKind classify(HttpRequest request) {
        if (!isDerpPath(request.uri())) {
            return NONE;
        }
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "").toLowerCase(Locale.ROOT);
        if (upgrade.equals("websocket")) {
            String protocols = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "");
            return protocols.contains("derp") ? WEBSOCKET : PLAIN;
        }
        return upgrade.equals("derp") ? PLAIN : NONE;
    }

    public boolean isUpgrade() {
        return this != NONE;
    }

    /** Only the exact path {@code /derp} upgrades (query strings allowed); {@code /derp/} and the like do not. */
    public static boolean isDerpPath(String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        return path.equals("/derp");
    }
}
