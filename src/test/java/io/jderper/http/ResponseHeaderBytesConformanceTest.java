package io.jderper.http;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every response head of the main listener, line for line as the original's Go server writes it (derper-behaviour.md
 * §6; Go's net/http: canonical header names, the handler's headers sorted, then {@code Date} and
 * {@code Content-Length}; {@code http.Error} and {@code http.Redirect} bodies). No {@code Server} header anywhere.
 * Raw sockets, so the bytes are the server's, not a client library's reading of them.
 */
class ResponseHeaderBytesConformanceTest extends DerpServerTestBase {
    private static final Pattern GO_DATE = Pattern.compile(
            "Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
    private static final String DATE = "<date>";
    private static final List<String> BROWSER = List.of(
            "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
                    + "block-all-mixed-content; object-src 'none'",
            "Strict-Transport-Security: max-age=63072000; includeSubDomains",
            "X-Content-Type-Options: nosniff",
            "X-Frame-Options: DENY");

    record Response(String statusLine, List<String> headers, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private Response exchange(String request) throws Exception {
        try (RawHttp raw = new RawHttp(port())) {
            raw.write(request);
            String head = raw.readHead();
            assertThat(head).endsWith("\r\n\r\n");
            List<String> lines = new ArrayList<>(Arrays.asList(head.substring(0, head.length() - 4).split("\r\n", -1)));
            String status = lines.remove(0);
            List<String> headers = lines.stream().map(l -> GO_DATE.matcher(l).matches() ? DATE : l).toList();
            byte[] body = new byte[0];
            for (String h : headers) {
                if (h.startsWith("Content-Length: ") && !request.startsWith("HEAD ")) {
                    body = raw.readExactly(Integer.parseInt(h.substring(16)));
                }
            }
            return new Response(status, headers, body);
        }
    }

    private static List<String> lines(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: derp.test\r\n\r\n";
    }

    @Test
    void c72_homePage() throws Exception {
        Response r = exchange(get("/"));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        List<String> sorted = new ArrayList<>(BROWSER);
        sorted.add(1, "Content-Type: text/html; charset=utf-8");
        assertThat(r.headers()).containsExactlyElementsOf(lines(sorted, DATE, "Content-Length: " + r.body().length));
        assertThat(r.bodyText()).contains("<h1>DERP</h1>");
    }

    @Test
    void c74_robots() throws Exception {
        Response r = exchange(get("/robots.txt"));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        // Go sniffs this content type and so appends it after Content-Length; the lines are the same.
        assertThat(r.headers()).containsExactlyInAnyOrderElementsOf(
                lines(BROWSER, DATE, "Content-Length: 26", "Content-Type: text/plain; charset=utf-8"));
        assertThat(r.bodyText()).isEqualTo("User-agent: *\nDisallow: /\n");
    }

    @Test
    void c75_generate204() throws Exception {
        Response r = exchange("GET /generate_204 HTTP/1.1\r\nHost: derp.test\r\nX-Tailscale-Challenge: ts_derp.test\r\n\r\n");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 204 No Content");
        assertThat(r.headers()).containsExactly(
                "Cache-Control: no-cache, no-store, must-revalidate, no-transform, max-age=0",
                "X-Tailscale-Response: response ts_derp.test",
                DATE);
    }

    @Test
    void c73_probes() throws Exception {
        for (String path : List.of("/derp/probe", "/derp/latency-check")) {
            Response get = exchange(get(path));
            assertThat(get.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(get.headers()).containsExactly("Access-Control-Allow-Origin: *", DATE, "Content-Length: 0");
            // Go answers HEAD with no framing header at all.
            Response head = exchange("HEAD " + path + " HTTP/1.1\r\nHost: derp.test\r\n\r\n");
            assertThat(head.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(head.headers()).containsExactly("Access-Control-Allow-Origin: *", DATE);
            Response post = exchange("POST " + path + " HTTP/1.1\r\nHost: derp.test\r\nContent-Length: 0\r\n\r\n");
            assertThat(post.statusLine()).isEqualTo("HTTP/1.1 405 Method Not Allowed");
            assertThat(post.headers()).containsExactly("Content-Type: text/plain; charset=utf-8",
                    "X-Content-Type-Options: nosniff", DATE, "Content-Length: 19");
            assertThat(post.bodyText()).isEqualTo("bogus probe method\n");
        }
    }

    @Test
    void c71_derpWithoutUpgrade() throws Exception {
        Response r = exchange(get("/derp"));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 426 Upgrade Required");
        assertThat(r.headers()).containsExactly("Content-Type: text/plain; charset=utf-8",
                "X-Content-Type-Options: nosniff", DATE, "Content-Length: 33");
        assertThat(r.bodyText()).isEqualTo("DERP requires connection upgrade\n");
    }

    @Test
    void bootstrapDns() throws Exception {
        Response r = exchange(get("/bootstrap-dns"));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        List<String> sorted = new ArrayList<>(BROWSER);
        sorted.add(1, "Content-Type: application/json");
        assertThat(r.headers()).containsExactlyElementsOf(
                lines(sorted, DATE, "Content-Length: " + r.body().length, "Connection: close"));
    }

    @Test
    void debugRedirect() throws Exception {
        Response r = exchange(get("/debug"));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 307 Temporary Redirect");
        assertThat(r.headers()).containsExactly("Content-Type: text/html; charset=utf-8", "Location: /debug/",
                DATE, "Content-Length: 43");
        assertThat(r.bodyText()).isEqualTo("<a href=\"/debug/\">Temporary Redirect</a>.\n\n");
    }

    @Test
    void c10_derpUpgradeIsWrittenRawWithoutDate() throws Exception {
        Response r = exchange("GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n\r\n");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 101 Switching Protocols");
        assertThat(r.headers()).containsExactly("Upgrade: DERP", "Connection: Upgrade", "Derp-Version: 2",
                "Derp-Public-Key: " + server.identity().publicKey().toHex());
    }

    @Test
    void webSocketUpgrade() throws Exception {
        Response r = exchange("GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: derp\r\n\r\n");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 101 Switching Protocols");
        assertThat(r.headers()).containsExactly("Connection: Upgrade", "Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "Sec-Websocket-Protocol: derp", "Upgrade: websocket", DATE);
    }

    @Test
    void webSocketUpgradeRefusals() throws Exception {
        String base = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Protocol: derp\r\n";
        Response noKey = exchange(base + "Sec-WebSocket-Version: 13\r\n\r\n");
        assertThat(noKey.statusLine()).isEqualTo("HTTP/1.1 400 Bad Request");
        // The original keeps the connection; here the upgrade already claimed it, so it closes and says so.
        assertThat(noKey.headers()).containsExactly("Content-Type: text/plain; charset=utf-8",
                "X-Content-Type-Options: nosniff", DATE, "Content-Length: 56", "Connection: close");
        assertThat(noKey.bodyText()).isEqualTo("WebSocket protocol violation: missing Sec-WebSocket-Key\n");

        Response oldVersion = exchange(base + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
        assertThat(oldVersion.statusLine()).isEqualTo("HTTP/1.1 400 Bad Request");
        assertThat(oldVersion.headers()).contains("Sec-Websocket-Version: 13");
        assertThat(oldVersion.bodyText()).isEqualTo("unsupported WebSocket protocol version (only 13 is supported): \"8\"\n");

        Response badKey = exchange(base + "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertThat(badKey.bodyText()).isEqualTo("WebSocket protocol violation: invalid Sec-WebSocket-Key \"c2hvcnQ=\", "
                + "must be a 16 byte base64 encoded string\n");
    }

    @Test
    void unparseableRequestsGetGoTerseAnswer() throws Exception {
        for (String[] c : new String[][] {
                {"GARBAGE\r\n\r\n", "400 Bad Request"},
                {"GET / HTTP/1.1\r\nHost: derp.test\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n", "431 Request Header Fields Too Large"}}) {
            try (RawHttp raw = new RawHttp(port())) {
                raw.write(c[0]);
                byte[] all = raw.in.readAllBytes();
                assertThat(new String(all, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 " + c[1]
                        + "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" + c[1]);
            }
        }
    }
}
