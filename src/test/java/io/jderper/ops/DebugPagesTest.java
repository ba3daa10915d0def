package io.jderper.ops;

import io.jderper.http.BrowserHeaders;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.RawHttp;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The /debug/ pages on the DERP listener, from loopback (derper-behaviour.md §15, C-80..C-82). */
class DebugPagesTest extends DerpServerTestBase {

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        return Http.get(port(), path, headers);
    }

    private static void assertBrowserHeaders(HttpResponse<String> r, String csp) {
        assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(csp);
        assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue(BrowserHeaders.STRICT_TRANSPORT_SECURITY);
        assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    private static void assertDenied(HttpResponse<String> r) {
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("debug access denied\n");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.headers().firstValue("Content-Security-Policy")).isEmpty();
    }

    @Test
    void c80_indexFromLoopbackAndDenialThroughAProxy() throws Exception {
        HttpResponse<String> index = get("/debug/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertBrowserHeaders(index, BrowserHeaders.CONTENT_SECURITY_POLICY);
        assertThat(index.body()).startsWith("<html><body><h1>derper debug</h1><ul>")
                .contains("<li><b>Uptime:</b> ", "<li><b>Version:</b> jderper", "<li><b>Machine:</b> ",
                        "<li><b>TLS hostname:</b> derp.test</li>", "<li><b>Mesh key:</b> true</li>")
                .contains("<a href=\"/debug/varz\">/debug/varz</a>", "<a href=\"/debug/vars\">/debug/vars</a>",
                        "<a href=\"/debug/check\">/debug/check</a>", "<a href=\"/debug/threads\">/debug/threads</a>",
                        "<a href=\"/debug/heap\">/debug/heap</a>", "<a href=\"/debug/traffic\">/debug/traffic</a>");

        assertDenied(get("/debug/", "X-Forwarded-For", "1.2.3.4"));
        assertDenied(get("/debug/varz", "X-Forwarded-For", "1.2.3.4"));
        assertDenied(get("/debug/check", "X-Forwarded-For", "127.0.0.1"));
        assertDenied(get("/debug/nonexistent", "X-Forwarded-For", "1.2.3.4"));
    }

    @Test
    void redirectAndUnknownPagesBehaveLikeGosServeMux() throws Exception {
        HttpResponse<String> redirect = get("/debug");
        assertThat(redirect.statusCode()).isEqualTo(307);
        assertThat(redirect.headers().firstValue("Location")).hasValue("/debug/");

        for (String path : new String[]{"/debug/nonexistent", "/debug/varz/", "/debug/pprof/heap"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.body()).isEqualTo("404 page not found\n");
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
            assertThat(r.headers().firstValue("Content-Security-Policy")).isEmpty();
        }
        // Not under /debug/: the home page, as in the original.
        assertThat(get("/debugger").body()).contains("<h1>DERP</h1>");
    }

    @Test
    void c72_homePageLinksDebugOnlyForAllowedCallers() throws Exception {
        assertThat(get("/").body()).contains("<a href=\"/debug/\">/debug/</a>");
        assertThat(get("/", "X-Forwarded-For", "1.2.3.4").body()).doesNotContain("/debug/");
    }

    @Test
    void c81_varzCarriesTheOriginalNames() throws Exception {
        HttpResponse<String> r = get("/debug/varz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain;version=0.0.4;charset=utf-8");
        assertBrowserHeaders(r, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY);
        assertThat(r.body()).contains("# TYPE derp_current_connections gauge\n", "\nderp_accepts ", "\nderp_packets_sent ",
                "\nderp_current_home_connections ", "\nderp_clients_total ",
                "\nderp_packets_dropped{reason=\"unknown_dest\",kind=\"disco\"} ",
                "\nstun_requests{disposition=\"success\"} ",
                "\nderp_multiforwarder_created ", "\nderp_current_file_descriptors ", "\nderp_memstats_sys0 ",
                "# TYPE derp_buffered_write_frames histogram\n", "\nderp_buffered_write_frames_bucket{le=\"1\"} ",
                "\nderp_buffered_write_frames_bucket{le=\"+Inf\"} ", "\nderp_buffered_write_frames_count ",
                "\nuptime_sec ", "\nprocess_start_unix_time ");
        assertThat(r.body()).doesNotContain("derp_accepts_total", "derp_packets_sent_total");
    }

    @Test
    void varsIsJsonOfTheSameFigures() throws Exception {
        HttpResponse<String> r = get("/debug/vars");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertBrowserHeaders(r, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY);
        JsonNode vars = Http.json(r.body());
        JsonNode derp = vars.get("derp");
        assertThat(derp.get("gauge_current_connections").isNumber()).isTrue();
        assertThat(derp.get("accepts").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(derp.get("gauge_current_file_descriptors").asLong()).isPositive();
        assertThat(derp.get("counter_packets_dropped").has("unknown_dest/disco")).isTrue();
        assertThat(derp.get("counter_buffered_write_frames").has("+Inf")).isTrue();
        assertThat(vars.get("memstats").get("HeapUsed").asLong()).isPositive();
        assertThat(vars.get("stun_requests").has("success")).isTrue();
    }

    @Test
    void c82_consistencyCheck() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl())) {
            HttpResponse<String> r = get("/debug/check");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("derp.Server ConsistencyCheck okay");
            assertBrowserHeaders(r, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY);
        }
    }

    @Test
    void threadDumpShowsTheEventLoopsWithStacks() throws Exception {
        HttpResponse<String> r = get("/debug/threads");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(r.body()).startsWith("Thread dump at ").contains("java.lang.Thread.State: ", "\tat ", "\"main\"")
                .containsPattern("\"[a-z]+-http-[a-z_]+-\\d+\"");
    }

    @Test
    void heapSummaryWithClassHistogram() throws Exception {
        HttpResponse<String> r = get("/debug/heap?top=3");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("Heap: used ", "Buffer pools:", "direct: ", "Garbage collectors:",
                "Class histogram (all objects, top 3):", "#instances", "Total ");
        assertThat(r.body()).containsPattern("(?m)^\\s+3:").doesNotContainPattern("(?m)^\\s+4:");
    }

    @Test
    void trafficStreamsPerConnectionCountersAsJsonLines() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl()); TestClient b = TestClient.connect(derpUrl())) {
            for (int i = 0; i < 3; i++) {
                a.client.send(b.publicKey(), new byte[100]);
                b.nextPacket();
            }
            try (RawHttp http = new RawHttp(port())) {
                http.write("GET /debug/traffic HTTP/1.1\r\nHost: derp.test\r\n\r\n");
                String head = http.readHead();
                assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/plain; charset=utf-8")
                        .containsIgnoringCase("transfer-encoding: chunked");
                String wantA = "\"Recv\":300,\"Key\":\"" + a.publicKey() + "\"}";
                String wantB = "{\"Sent\":300,\"Recv\":0,\"Key\":\"" + b.publicKey() + "\"}";
                String text = readUntil(http, wantA, wantB);
                assertThat(text).contains(wantA, wantB);
            }
        }
    }

    /** Reads the (chunked) stream until all wanted strings appeared; each round is written as one chunk. */
    private static String readUntil(RawHttp http, String... wanted) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            int n;
            try {
                n = http.in.read(buf);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                break;
            }
            seen.write(buf, 0, n);
            String text = seen.toString(StandardCharsets.UTF_8);
            boolean all = true;
            for (String w : wanted) {
                all &= text.contains(w);
            }
            if (all) {
                return text;
            }
        }
        return seen.toString(StandardCharsets.UTF_8);
    }
}
