package io.jderper.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The checks the original's WebSocket library makes on an upgrade request before it answers 101, with the same
 * statuses and messages. Netty's handshaker is more lenient (it also speaks versions 7 and 8) and throws instead of
 * answering when the key is missing, so requests are vetted here first.
 */
final class WebSocketRequestCheck {

    /** Why the upgrade is refused: the status, the plain-text message, and any header the original adds. */
    record Refusal(HttpResponseStatus status, String message, List<String[]> headers) {
    }

    private WebSocketRequestCheck() {
    }

    static Optional<Refusal> check(HttpRequest request) {
        HttpHeaders h = request.headers();
        if (request.protocolVersion().compareTo(HttpVersion.HTTP_1_1) < 0) {
            return refuse(HttpResponseStatus.UPGRADE_REQUIRED, "WebSocket protocol violation: handshake request must be at least HTTP/1.1: "
                    + GoQuote.quote(request.protocolVersion().text()));
        }
        if (!containsToken(h.getAll(HttpHeaderNames.CONNECTION), "upgrade")) {
            return refuse(HttpResponseStatus.UPGRADE_REQUIRED, "WebSocket protocol violation: Connection header "
                    + GoQuote.quote(h.get(HttpHeaderNames.CONNECTION, "")) + " does not contain Upgrade", UPGRADE_HEADERS);
        }
        if (!containsToken(h.getAll(HttpHeaderNames.UPGRADE), "websocket")) {
            return refuse(HttpResponseStatus.UPGRADE_REQUIRED, "WebSocket protocol violation: Upgrade header "
                    + GoQuote.quote(h.get(HttpHeaderNames.UPGRADE, "")) + " does not contain websocket", UPGRADE_HEADERS);
        }
        if (!request.method().equals(HttpMethod.GET)) {
            return refuse(HttpResponseStatus.METHOD_NOT_ALLOWED, "WebSocket protocol violation: handshake request method is not GET but "
                    + GoQuote.quote(request.method().name()));
        }
        String version = h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "");
        if (!version.equals("13")) {
            return refuse(HttpResponseStatus.BAD_REQUEST, "unsupported WebSocket protocol version (only 13 is supported): "
                    + GoQuote.quote(version), List.<String[]>of(new String[]{"Sec-Websocket-Version", "13"}));
        }
        List<String> keys = h.getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (keys.isEmpty()) {
            return refuse(HttpResponseStatus.BAD_REQUEST, "WebSocket protocol violation: missing Sec-WebSocket-Key");
        }
        if (keys.size() > 1) {
            return refuse(HttpResponseStatus.BAD_REQUEST, "WebSocket protocol violation: multiple Sec-WebSocket-Key headers");
        }
        String key = keys.get(0).strip();
        if (!isSixteenBytesBase64(key)) {
            return refuse(HttpResponseStatus.BAD_REQUEST, "WebSocket protocol violation: invalid Sec-WebSocket-Key "
                    + GoQuote.quote(key) + ", must be a 16 byte base64 encoded string");
        }
        return Optional.empty();
    }

    private static final List<String[]> UPGRADE_HEADERS = List.of(
            new String[]{"Connection", "Upgrade"}, new String[]{"Upgrade", "websocket"});

    private static Optional<Refusal> refuse(HttpResponseStatus status, String message) {
        return refuse(status, message, List.of());
    }

    private static Optional<Refusal> refuse(HttpResponseStatus status, String message, List<String[]> headers) {
        return Optional.of(new Refusal(status, message, headers));
    }

    /** Comma-separated tokens in any of the header's values, compared without case (RFC 7230 lists). */
    private static boolean containsToken(List<String> values, String token) {
        for (String value : values) {
            for (String t : value.split(",")) {
                if (t.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isSixteenBytesBase64(String key) {
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
