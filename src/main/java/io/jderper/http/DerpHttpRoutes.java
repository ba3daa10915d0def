package io.jderper.http;

import io.jderper.config.DerperProperties;
import io.jderper.config.HomePage;
import io.jderper.config.RelayProperties;
import io.jderper.server.DerpServer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.regex.Pattern;

/**
 * The main listener's plain HTTP endpoints (everything except the DERP upgrade itself, which never reaches WebFlux,
 * and the {@code /debug/} pages, which the ops package serves).
 * Status codes, bodies and headers follow the original byte for byte where clients or probes look at them.
 */
@Configuration(proxyBeanMethods = false)
public class DerpHttpRoutes {
    /** As the original spells them: Spring's MediaType would drop the space after the semicolon. */
    private static final String TEXT_PLAIN = "text/plain; charset=utf-8";
    private static final String TEXT_HTML = "text/html; charset=utf-8";
    private static final Pattern TAILSCALE_DERP_HOST = Pattern.compile("^derp([^.]*)\\.tailscale\\.com\\.?$");

    private final DerperProperties core;
    private final RelayProperties relay;
    private final DerpServer server;
    private final DebugAccess debugAccess;

    public DerpHttpRoutes(DerperProperties core, RelayProperties relay, DerpServer server, DebugAccess debugAccess) {
        this.core = core;
        this.relay = relay;
        this.server = server;
        this.debugAccess = debugAccess;
    }

    @Bean
    @Order(0)
    RouterFunction<ServerResponse> derpEndpoints() {
        return RouterFunctions.route()
                .route(RequestPredicates.path("/derp"), this::derpWithoutUpgrade)
                .route(RequestPredicates.path("/derp/probe").or(RequestPredicates.path("/derp/latency-check")), this::probe)
                .route(RequestPredicates.path("/generate_204"), this::generate204)
                .route(RequestPredicates.path("/robots.txt"), r -> ServerResponse.ok()
                        .headers(BrowserHeaders::apply).header("Content-Type", TEXT_PLAIN).bodyValue("User-agent: *\nDisallow: /\n"))
                .build();
    }

    /** Lowest precedence: every path nothing else claimed gets the home page, as in the original. */
    @Bean
    @Order(Ordered.LOWEST_PRECEDENCE)
    RouterFunction<ServerResponse> homePage() {
        return RouterFunctions.route(RequestPredicates.all(), this::home);
    }

    private Mono<ServerResponse> derpWithoutUpgrade(ServerRequest request) {
        if (!relay.enabled()) {
            return plainError(HttpStatus.NOT_FOUND, "derp server disabled");
        }
        if (!server.acceptingConnections()) {
            return plainError(HttpStatus.SERVICE_UNAVAILABLE, "derp server shutting down");
        }
        return plainError(HttpStatus.UPGRADE_REQUIRED, "DERP requires connection upgrade");
    }

    private Mono<ServerResponse> probe(ServerRequest request) {
        HttpMethod m = request.method();
        if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
            return plainError(HttpStatus.METHOD_NOT_ALLOWED, "bogus probe method");
        }
        return ServerResponse.ok().header("Access-Control-Allow-Origin", "*").build();
    }

    private Mono<ServerResponse> generate204(ServerRequest request) {
        ServerResponse.HeadersBuilder<?> b = ServerResponse.noContent().header("Cache-Control", Generate204.CACHE_CONTROL);
        Generate204.response(request.headers().firstHeader(Generate204.CHALLENGE_HEADER))
                .ifPresent(v -> b.header(Generate204.RESPONSE_HEADER, v));
        return b.build();
    }

    private Mono<ServerResponse> home(ServerRequest request) {
        HomePage page = core.homePage();
        if (page instanceof HomePage.Blank) {
            return ServerResponse.ok().headers(BrowserHeaders::apply).header("Content-Type", TEXT_HTML).bodyValue("");
        }
        if (page instanceof HomePage.Redirect redirect) {
            return goRedirect(request, HttpStatus.FOUND, redirect.target().toString(), BrowserHeaders::apply);
        }
        StringBuilder html = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en">
                <head><meta charset="utf-8"><title>DERP</title></head>
                <body>
                <h1>DERP</h1>
                <p>This is a <a href="https://tailscale.com/">Tailscale</a> DERP server.</p>
                <p>It provides STUN, interactive connectivity establishment, and relaying of end-to-end encrypted traffic
                for Tailscale clients.</p>
                """);
        if (TAILSCALE_DERP_HOST.matcher(core.hostname()).matches()) {
            html.append("""
                    <p>To report abuse, email <a href="mailto:security@tailscale.com">security@tailscale.com</a>.
                    See <a href="https://tailscale.com/security-policies">security policies</a> and the
                    <a href="https://tailscale.com/tailscale-aup">acceptable use policy</a>.</p>
                    """);
        }
        html.append("""
                <p>Documentation:</p>
                <ul>
                <li><a href="https://tailscale.com/kb/1232/derp-servers">About DERP</a></li>
                <li><a href="https://pkg.go.dev/tailscale.com/derp">Protocol &amp; Go docs</a></li>
                <li><a href="https://github.com/tailscale/tailscale/tree/main/cmd/derper#derp">How to run a DERP server</a></li>
                </ul>
                """);
        if (!relay.enabled()) {
            html.append("<p>Status: <b>disabled</b></p>\n");
        }
        if (debugAllowed(request)) {
            html.append("<p>Debug info at <a href=\"/debug/\">/debug/</a>.</p>\n");
        }
        html.append("</body>\n</html>\n");
        return ServerResponse.ok().headers(BrowserHeaders::apply).header("Content-Type", TEXT_HTML).bodyValue(html.toString());
    }

    private boolean debugAllowed(ServerRequest request) {
        InetAddress client = request.remoteAddress().map(InetSocketAddress::getAddress).orElse(null);
        return debugAccess.allowed(client, request.headers().firstHeader("X-Forwarded-For"), request.method().name(),
                request.queryParam("debugkey").orElse(null));
    }

    /**
     * A redirect as Go's {@code http.Redirect} writes it: for GET and HEAD an HTML content type, and for GET a one-line
     * link to the target as the body.
     */
    public static Mono<ServerResponse> goRedirect(ServerRequest request, HttpStatus status, String location,
                                                  java.util.function.Consumer<org.springframework.http.HttpHeaders> headers) {
        ServerResponse.BodyBuilder b = ServerResponse.status(status).headers(headers).header("Location", location);
        HttpMethod m = request.method();
        if (m != HttpMethod.GET && m != HttpMethod.HEAD) {
            return b.build();
        }
        b.header("Content-Type", TEXT_HTML);
        if (m == HttpMethod.HEAD) {
            return b.build();
        }
        return b.bodyValue("<a href=\"" + GoHtml.escape(location) + "\">" + status.getReasonPhrase() + "</a>.\n\n");
    }

    static Mono<ServerResponse> plainError(HttpStatus status, String message) {
        return ServerResponse.status(status).header("Content-Type", "text/plain; charset=utf-8").header("X-Content-Type-Options", "nosniff")
                .bodyValue(message + "\n");
    }
}
