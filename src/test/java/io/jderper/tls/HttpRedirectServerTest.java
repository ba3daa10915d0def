package io.jderper.tls;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** C-85: the port-80 listener next to TLS (spec §6.4), over real loopback sockets. */
class HttpRedirectServerTest {
    private HttpRedirectServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private int start(AcmeChallenges challenges) {
        server = new HttpRedirectServer(new InetSocketAddress("127.0.0.1", 0), challenges, null);
        server.start();
        assertThat(server.isRunning()).isTrue();
        return server.port();
    }

    static Response request(int port, String method, String target, String host, String... extraHeaders) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
            if (host != null) {
                req.append("Host: ").append(host).append("\r\n");
            }
            for (String h : extraHeaders) {
                req.append(h).append("\r\n");
            }
            req.append("Connection: close\r\n\r\n");
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String[] head = text.substring(0, split).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < head.length; i++) {
                int c = head[i].indexOf(':');
                headers.put(head[i].substring(0, c).trim().toLowerCase(Locale.ROOT), head[i].substring(c + 1).trim());
            }
            return new Response(Integer.parseInt(head[0].split(" ")[1]), headers, text.substring(split + 4));
        }
    }

    private static AcmeChallenges letsEncrypt(String hostname) {
        return new AcmeChallenges(true, false, ServerTls.hostPolicy(hostname),
                "acme/autocert: host %q not configured in HostWhitelist");
    }

    @Test
    void c85_generate204RedirectsAndUseHttps() throws Exception {
        int port = start(AcmeChallenges.inactive());

        Response g = request(port, "GET", "/generate_204", "derp.test", "X-Tailscale-Challenge: ts_derp.test");
        assertThat(g.status()).isEqualTo(204);
        assertThat(g.header("X-Tailscale-Response")).isEqualTo("response ts_derp.test");
        assertThat(g.header("Cache-Control")).isEqualTo("no-cache, no-store, must-revalidate, no-transform, max-age=0");
        assertThat(g.body()).isEmpty();
        Response bad = request(port, "POST", "/generate_204", "derp.test", "X-Tailscale-Challenge: ts derp", "Content-Length: 0");
        assertThat(bad.status()).isEqualTo(204);
        assertThat(bad.header("X-Tailscale-Response")).isNull();

        Response r = request(port, "GET", "/derp?x=1", "derp.test:8080");
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("Location")).isEqualTo("https://derp.test:8080/derp?x=1");
        assertThat(r.body()).isEqualTo("<a href=\"https://derp.test:8080/derp?x=1\">Found</a>.\n\n");

        Response head = request(port, "HEAD", "/", "derp.test");
        assertThat(head.status()).isEqualTo(302);
        assertThat(head.header("Location")).isEqualTo("https://derp.test/");

        Response post = request(port, "POST", "/", "derp.test", "Content-Length: 0");
        assertThat(post.status()).isEqualTo(400);
        assertThat(post.body()).isEqualTo("Use HTTPS\n");
        assertThat(post.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(post.header("X-Content-Type-Options")).isEqualTo("nosniff");

        // Without a debug hook, /debug is redirected like the rest; manual mode redirects challenge paths too.
        assertThat(request(port, "GET", "/debug/varz", "derp.test").header("Location")).isEqualTo("https://derp.test/debug/varz");
        assertThat(request(port, "GET", "/.well-known/acme-challenge/abc", "derp.test").status()).isEqualTo(302);
    }

    @Test
    void c85_acmeChallengeHostPolicyUsesTheHostHeaderAsSent() throws Exception {
        AcmeChallenges ch = letsEncrypt("derp.test");
        int port = start(ch);
        Response miss = request(port, "GET", "/.well-known/acme-challenge/unknown", "derp.test");
        assertThat(miss.status()).isEqualTo(404);
        assertThat(miss.body()).isEqualTo("acme/autocert: certificate cache miss\n");

        Response other = request(port, "GET", "/.well-known/acme-challenge/unknown", "other.test");
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.body()).isEqualTo("acme/autocert: host \"other.test\" not configured in HostWhitelist\n");
        Response withPort = request(port, "GET", "/.well-known/acme-challenge/unknown", "derp.test:8080");
        assertThat(withPort.status()).isEqualTo(403);

        ch.put("tok123", "tok123.thumbprint");
        Response hit = request(port, "GET", "/.well-known/acme-challenge/tok123", "derp.test");
        assertThat(hit.status()).isEqualTo(200);
        assertThat(hit.body()).isEqualTo("tok123.thumbprint");
        ch.remove("tok123");
        assertThat(request(port, "GET", "/.well-known/acme-challenge/tok123", "derp.test").status()).isEqualTo(404);
    }

    @Test
    void ipCertChallengesIgnoreTheHostHeader() throws Exception {
        AcmeChallenges ch = new AcmeChallenges(true, true, ServerTls.hostPolicy("192.0.2.1"), "unused");
        int port = start(ch);
        ch.put("t", "t.k");
        Response hit = request(port, "GET", "/.well-known/acme-challenge/t", "127.0.0.1");
        assertThat(hit.status()).isEqualTo(200);
        assertThat(hit.header("Content-Type")).isEqualTo("text/plain");
        assertThat(hit.body()).isEqualTo("t.k");
        Response miss = request(port, "GET", "/.well-known/acme-challenge/nope", "127.0.0.1");
        assertThat(miss.status()).isEqualTo(404);
        assertThat(miss.body()).isEqualTo("404 page not found\n");
    }

    @Test
    void disabledPortDoesNotListen() {
        server = new HttpRedirectServer(null, AcmeChallenges.inactive(), null);
        server.start();
        assertThat(server.isRunning()).isFalse();
        assertThat(server.port()).isEqualTo(-1);
    }
}
