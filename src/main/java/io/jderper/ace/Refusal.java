package io.jderper.ace;

import io.netty.handler.codec.DateFormatter;

import java.nio.charset.StandardCharsets;
import java.util.Date;

/** The original's answers to a CONNECT it will not tunnel: Go's {@code http.Error} text responses. */
enum Refusal {
    NOT_ENABLED(403, "Forbidden", "CONNECT not enabled"),
    REQUIRES_TLS(403, "Forbidden", "CONNECT requires TLS"),
    INVALID_TARGET(403, "Forbidden", "Invalid CONNECT target"),
    CONNECT_FAILURE(502, "Bad Gateway", "Connect failure");

    final int status;
    final String reason;
    final String body;

    Refusal(int status, String reason, String message) {
        this.status = status;
        this.reason = reason;
        this.body = message + "\n";
    }

    /** The whole response; the connection closes after it, since the rest of the stream is not HTTP. */
    byte[] response() {
        byte[] text = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + "Date: " + DateFormatter.format(new Date()) + "\r\n"
                + "Content-Length: " + text.length + "\r\n"
                + "Connection: close\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + text.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(text, 0, all, h.length, text.length);
        return all;
    }
}
