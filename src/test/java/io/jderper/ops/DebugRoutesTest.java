package io.jderper.ops;

import io.jderper.server.ClientAdmission;
import io.jderper.config.DerperProperties;
import io.jderper.config.RelayProperties;
import io.jderper.http.DebugAccess;
import io.jderper.key.NodePrivateKey;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DerpServer;
import io.jderper.server.ServerIdentity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.http.HttpMethod;
import org.springframework.mock.web.reactive.function.server.MockServerRequest;
import org.springframework.web.reactive.function.server.EntityResponse;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The access-denied variants of derper-behaviour.md §15 that need a non-loopback caller or dev mode (which forces port
 * 3340), checked on the route functions with a mock request; addresses here are values only, no socket is opened.
 */
class DebugRoutesTest {

    private static RouterFunction<ServerResponse> routes(boolean dev) {
        Binder binder = new Binder(new MapConfigurationPropertySource(Map.of(
                "derper.dev", String.valueOf(dev), "derper.hostname", "derp.test")));
        DerperProperties core = binder.bindOrCreate("derper", DerperProperties.class);
        RelayProperties relay = binder.bindOrCreate("derper.relay", RelayProperties.class);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DerpMetrics metrics = new DerpMetrics();
        DerpServer server = new DerpServer(new ServerIdentity(NodePrivateKey.generate()), relay, Optional.empty(),
                ClientAdmission.ALLOW_ALL, metrics, registry);
        ProcessMetrics process = new ProcessMetrics();
        return new DebugRoutes(core, server, new DebugAccess(name -> null, List.of()),
                new VarzWriter(metrics, registry, process), new VarsWriter(metrics, registry, process),
                Duration.ofSeconds(2)).routes();
    }

    private static ServerResponse call(RouterFunction<ServerResponse> routes, String path, String client) throws Exception {
        MockServerRequest request = MockServerRequest.builder().method(HttpMethod.GET).uri(URI.create(path))
                .remoteAddress(new InetSocketAddress(InetAddress.getByName(client), 40000)).build();
        return routes.route(request).flatMap(h -> h.handle(request)).block(Duration.ofSeconds(10));
    }

    @SuppressWarnings("unchecked")
    private static String body(ServerResponse r) {
        return ((EntityResponse<String>) r).entity();
    }

    @Test
    void c80_nonLoopbackCallerIsDeniedEverywhere() throws Exception {
        RouterFunction<ServerResponse> routes = routes(false);
        for (String path : List.of("/debug/", "/debug/varz", "/debug/vars", "/debug/check", "/debug/threads",
                "/debug/heap", "/debug/traffic", "/debug/unknown")) {
            ServerResponse r = call(routes, path, "192.0.2.10");
            assertThat(r.statusCode().value()).as(path).isEqualTo(403);
            assertThat(body(r)).as(path).isEqualTo("debug access denied\n");
            assertThat(r.headers().getFirst("Content-Type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(r.headers().getFirst("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(r.headers().containsHeader("Content-Security-Policy")).as(path).isFalse();
        }
        assertThat(call(routes, "/debug/", "100.100.1.1").statusCode().value()).isEqualTo(200);
        assertThat(call(routes, "/debug/", "100.115.92.1").statusCode().value()).isEqualTo(403);
    }

    @Test
    void devModeHintsOnProtectedPagesOnlyNotOnTheIndexOrUnknownPaths() throws Exception {
        RouterFunction<ServerResponse> routes = routes(true);
        assertThat(body(call(routes, "/debug/varz", "192.0.2.10")))
                .isEqualTo("debug access denied; to permit access, set TS_ALLOW_DEBUG_IP=192.0.2.10\n");
        assertThat(body(call(routes, "/debug/check", "2001:db8::a")))
                .isEqualTo("debug access denied; to permit access, set TS_ALLOW_DEBUG_IP=2001:db8::a\n");
        assertThat(body(call(routes, "/debug/", "192.0.2.10"))).isEqualTo("debug access denied\n");
        assertThat(body(call(routes, "/debug/unknown", "192.0.2.10"))).isEqualTo("debug access denied\n");
    }

    @Test
    void goDurationAndHtmlEscapingFollowGo() {
        assertThat(DebugRoutes.goDuration(Duration.ZERO)).isEqualTo("0s");
        assertThat(DebugRoutes.goDuration(Duration.ofMillis(41_600))).isEqualTo("42s");
        assertThat(DebugRoutes.goDuration(Duration.ofSeconds(187))).isEqualTo("3m7s");
        assertThat(DebugRoutes.goDuration(Duration.ofSeconds(26 * 3600 + 5))).isEqualTo("26h0m5s");
        assertThat(io.jderper.http.GoHtml.escape("<a href='x'>&\"</a>")).isEqualTo("&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;");
    }

    @Test
    void classHistogramIsCutToTheTopRowsKeepingHeaderAndTotal() {
        String jcmd = """
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:           100           1000  [B (java.base@17)
                   2:            50            800  java.lang.String (java.base@17)
                   3:            10            160  java.lang.Object (java.base@17)
                Total           160           1960
                """;
        String top = HeapSummary.histogramTop(jcmd, 2);
        assertThat(top).contains("#instances", "   1:", "   2:", "   ...", "Total           160").doesNotContain("   3:");
        assertThat(HeapSummary.histogramTop(jcmd, 5)).doesNotContain("...").contains("   3:");
        // The real MBean answers on HotSpot; the page must never fail because of it.
        assertThat(HeapSummary.histogramTop(HeapSummary.classHistogram(false), 3)).contains("Total");
    }
}
