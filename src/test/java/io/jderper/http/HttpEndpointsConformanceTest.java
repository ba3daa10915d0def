package io.jderper.http;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Plain HTTP endpoints of the main listener (conformance §11). */
class HttpEndpointsConformanceTest extends DerpServerTestBase {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(httpUrl(path)).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertBrowserHeaders(HttpResponse<?> r) {
        assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=63072000; includeSubDomains");
        assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(BrowserHeaders.CONTENT_SECURITY_POLICY);
        assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    void c72_homePageEverywhereWithDebugLinkFromLoopback() throws Exception {
        for (String path : new String[]{"/", "/does-not-exist", "/derp/"}) {
            HttpResponse<String> r = send("GET", path);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
            assertBrowserHeaders(r);
            assertThat(r.body()).contains("DERP").contains("/debug/");
        }
        assertThat(send("GET", "/", "X-Forwarded-For", "1.2.3.4").body()).doesNotContain("/debug/");
    }

    @Test
    void c74_robots() throws Exception {
        HttpResponse<String> r = send("GET", "/robots.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("User-agent: *\nDisallow: /\n");
        assertBrowserHeaders(r);
    }

    @Test
    void c75_c76_generate204() throws Exception {
        HttpResponse<String> plain = send("GET", "/generate_204");
        assertThat(plain.statusCode()).isEqualTo(204);
        assertThat(plain.body()).isEmpty();
        assertThat(plain.headers().firstValue("Cache-Control")).hasValue("no-cache, no-store, must-revalidate, no-transform, max-age=0");
        assertThat(plain.headers().firstValue("X-Tailscale-Response")).isEmpty();
        String valid64 = "a".repeat(60) + "b:c_";
        for (String ok : new String[]{"ts_derp99b.tailscale.com", valid64}) {
            assertThat(send("GET", "/generate_204", "X-Tailscale-Challenge", ok).headers().firstValue("X-Tailscale-Response"))
                    .hasValue("response " + ok);
        }
        for (String bad : new String[]{"foo bar", "x".repeat(65), "a/b"}) {
            HttpResponse<String> r = send("GET", "/generate_204", "X-Tailscale-Challenge", bad);
            assertThat(r.statusCode()).isEqualTo(204);
            assertThat(r.headers().firstValue("X-Tailscale-Response")).isEmpty();
        }
    }

    @Test
    void c77_probeEndpoints() throws Exception {
        for (String path : new String[]{"/derp/probe", "/derp/latency-check"}) {
            for (String m : new String[]{"GET", "HEAD"}) {
                HttpResponse<String> r = send(m, path);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEmpty();
                assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
            }
            HttpResponse<String> post = send("POST", path);
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).isEqualTo("bogus probe method\n");
        }
    }

    @Test
    void c80_c81_c82_debugPages() throws Exception {
        assertThat(send("GET", "/debug/").statusCode()).isEqualTo(200);
        HttpResponse<String> proxied = send("GET", "/debug/", "X-Forwarded-For", "1.2.3.4");
        assertThat(proxied.statusCode()).isEqualTo(403);
        assertThat(proxied.body()).isEqualTo("debug access denied\n");
        String varz = send("GET", "/debug/varz").body();
        assertThat(varz).contains("# TYPE derp_current_connections gauge", "derp_accepts", "derp_packets_sent",
                "derp_current_home_connections", "derp_clients_total",
                "derp_packets_dropped{reason=\"unknown_dest\",kind=\"disco\"}", "stun_requests{disposition=\"success\"}");
        assertThat(varz.lines().filter(l -> l.startsWith("derp_packets_dropped{")).count()).isEqualTo(14);
        HttpResponse<String> check = send("GET", "/debug/check");
        assertThat(check.body()).isEqualTo("derp.Server ConsistencyCheck okay");
    }

    @Test
    void actuatorIsNotOnTheDerpPort() throws Exception {
        // Actuator lives on the management port only; here the path falls through to the home page.
        assertThat(send("GET", "/actuator/health").body()).contains("<h1>DERP</h1>");
    }
}
