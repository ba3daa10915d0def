package io.jderper.ops;

import io.jderper.config.Version;
import io.jderper.config.DerperProperties;
import io.jderper.http.BrowserHeaders;
import io.jderper.http.DebugAccess;
import io.jderper.http.DerpHttpRoutes;
import io.jderper.http.GoHtml;
import io.jderper.server.DerpServer;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import org.springframework.http.ReactiveHttpOutputMessage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The original's {@code /debug/} pages on the main listener (derper-behaviour.md §15), guarded by {@link DebugAccess}.
 * The index answers a plain {@code debug access denied}; the pages under it add, in dev mode, a hint naming the
 * caller's address. Unknown {@code /debug/…} paths answer Go's plain 404 once access is granted.
 */
final class DebugRoutes {
    private static final String TEXT_PLAIN = "text/plain; charset=utf-8";
    private static final String PROMETHEUS_TEXT = "text/plain;version=0.0.4;charset=utf-8";

    private final DerperProperties core;
    private final DerpServer server;
    private final DebugAccess access;
    private final VarzWriter varz;
    private final VarsWriter vars;
    private final Duration trafficPeriod;
    private final String machine = hostname();
    private final long startNanos = System.nanoTime();

    DebugRoutes(DerperProperties core, DerpServer server, DebugAccess access, VarzWriter varz, VarsWriter vars,
                Duration trafficPeriod) {
        this.core = core;
        this.server = server;
        this.access = access;
        this.varz = varz;
        this.vars = vars;
        this.trafficPeriod = trafficPeriod;
    }

    /** Page slug, link text on the index, handler. */
    private record Page(String slug, String description, HandlerFunction<ServerResponse> handler) {
    }

    private List<Page> pages() {
        return List.of(
                new Page("vars", "Metrics (JSON)", r -> text("application/json; charset=utf-8", vars.render())),
                new Page("varz", "Metrics (Prometheus)", r -> text(PROMETHEUS_TEXT, varz.render())),
                new Page("threads", "Thread dump", r -> blocking(() -> text(TEXT_PLAIN, ThreadDump.render()))),
                new Page("heap", "Heap summary and class histogram", this::heap),
                new Page("check", "Consistency check", this::check),
                new Page("traffic", "Traffic check", this::traffic),
                new Page("profile", "CPU and allocation profile: a Flight Recorder file, ?seconds=N (default "
                        + JfrProfile.DEFAULT_SECONDS + ")", this::profile));
    }

    RouterFunction<ServerResponse> routes() {
        RouterFunctions.Builder b = RouterFunctions.route()
                .route(RequestPredicates.path("/debug"), r -> DerpHttpRoutes.goRedirect(r,
                        HttpStatus.TEMPORARY_REDIRECT, "/debug/", h -> { }))
                .route(RequestPredicates.path("/debug/"), this::index);
        for (Page p : pages()) {
            b.route(RequestPredicates.path("/debug/" + p.slug()), r -> protectedPage(r, p.handler()));
        }
        return b.route(RequestPredicates.path("/debug/**"), this::unknown).build();
    }

    private boolean allowed(ServerRequest request) {
        InetAddress client = request.remoteAddress().map(InetSocketAddress::getAddress).orElse(null);
        return access.allowed(client, request.headers().firstHeader("X-Forwarded-For"), request.method().name(),
                request.queryParam("debugkey").orElse(null));
    }

    private Mono<ServerResponse> index(ServerRequest request) {
        if (!allowed(request)) {
            return error(HttpStatus.FORBIDDEN, "debug access denied");
        }
        StringBuilder html = new StringBuilder(1024);
        html.append("<html><body><h1>derper debug</h1><ul>");
        kv(html, "Uptime", goDuration(Duration.ofNanos(System.nanoTime() - startNanos)));
        kv(html, "Version", Version.current());
        kv(html, "Machine", machine);
        kv(html, "TLS hostname", core.hostname());
        kv(html, "Mesh key", String.valueOf(server.meshKey().isPresent()));
        for (Page p : pages()) {
            String href = "/debug/" + p.slug();
            html.append("<li><a href=\"").append(href).append("\">").append(href).append("</a>")
                    .append(GoHtml.escape(" (" + p.description() + ")")).append("</li>");
        }
        html.append("</ul></body></html>\n");
        return ServerResponse.ok().headers(BrowserHeaders::apply).header("Content-Type", "text/html; charset=utf-8")
                .bodyValue(html.toString());
    }

    private Mono<ServerResponse> protectedPage(ServerRequest request, HandlerFunction<ServerResponse> page) {
        if (!allowed(request)) {
            String message = "debug access denied";
            if (core.dev()) {
                InetAddress client = request.remoteAddress().map(InetSocketAddress::getAddress).orElse(null);
                message += "; to permit access, set TS_ALLOW_DEBUG_IP=" + DebugAccess.hintAddress(client);
            }
            return error(HttpStatus.FORBIDDEN, message);
        }
        try {
            return page.handle(request);
        } catch (Exception e) {
            return Mono.error(e);
        }
    }

    private Mono<ServerResponse> unknown(ServerRequest request) {
        if (!allowed(request)) {
            return error(HttpStatus.FORBIDDEN, "debug access denied");
        }
        return error(HttpStatus.NOT_FOUND, "404 page not found");
    }

    private Mono<ServerResponse> check(ServerRequest request) {
        List<String> problems = server.registry().consistencyProblems();
        if (problems.isEmpty()) {
            return text(TEXT_PLAIN, "derp.Server ConsistencyCheck okay");
        }
        return ServerResponse.status(HttpStatus.INTERNAL_SERVER_ERROR)
                .headers(h -> BrowserHeaders.apply(h, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY))
                .header("Content-Type", TEXT_PLAIN).bodyValue(String.join("\n", problems) + "\n");
    }

    private Mono<ServerResponse> heap(ServerRequest request) {
        int top = request.queryParam("top").map(DebugRoutes::parseTop).orElse(HeapSummary.DEFAULT_TOP);
        boolean live = request.queryParam("live").map(v -> v.equals("1") || v.equalsIgnoreCase("true")).orElse(false);
        return blocking(() -> text(TEXT_PLAIN, HeapSummary.render(top, live)));
    }

    private static int parseTop(String v) {
        try {
            return Math.max(1, Math.min(HeapSummary.MAX_TOP, Integer.parseInt(v)));
        } catch (NumberFormatException e) {
            return HeapSummary.DEFAULT_TOP;
        }
    }

    /** Streams until the client disconnects; every round is flushed as it is produced. */
    private Mono<ServerResponse> traffic(ServerRequest request) {
        BodyInserter<Object, ReactiveHttpOutputMessage> body = (message, context) -> message.writeAndFlushWith(
                TrafficStream.stream(server.registry(), trafficPeriod).map(chunk -> {
                    DataBuffer buf = message.bufferFactory().wrap(chunk.getBytes(StandardCharsets.UTF_8));
                    return Mono.just(buf);
                }));
        return ServerResponse.ok().headers(h -> BrowserHeaders.apply(h, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY))
                .header("Content-Type", TEXT_PLAIN).body(body);
    }

    /**
     * Records for the requested time without holding a thread, then sends the file. A client that goes away early
     * ends the recording at once.
     */
    private Mono<ServerResponse> profile(ServerRequest request) {
        Duration duration;
        try {
            duration = JfrProfile.duration(request.queryParam("seconds").orElse(null));
        } catch (IllegalArgumentException e) {
            return error(HttpStatus.BAD_REQUEST, e.getMessage());
        }
        // Released before the file is sent, so a caller that got one profile can start the next at once.
        Mono<byte[]> recorded = Mono.fromCallable(JfrProfile::start).subscribeOn(Schedulers.boundedElastic())
                .flatMap(profile -> Mono.delay(duration)
                        .then(Mono.fromCallable(() -> {
                            try {
                                return profile.finish();
                            } finally {
                                profile.close();
                            }
                        }).subscribeOn(Schedulers.boundedElastic()))
                        .doOnCancel(() -> Schedulers.boundedElastic().schedule(profile::close)));
        String file = "jderper-" + machine.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + java.time.Instant.now().getEpochSecond() + ".jfr";
        return recorded.flatMap(bytes -> ServerResponse.ok()
                        .headers(h -> BrowserHeaders.apply(h, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY))
                        .header("Content-Type", "application/octet-stream")
                        .header("Content-Disposition", "attachment; filename=\"" + file + "\"")
                        .bodyValue(bytes))
                .onErrorResume(JfrProfile.Busy.class, e -> error(HttpStatus.CONFLICT, e.getMessage()));
    }

    /** Runs work that may block (JMX, safepoint operations) away from the event loop. */
    private static Mono<ServerResponse> blocking(Callable<Mono<ServerResponse>> work) {
        return Mono.fromCallable(work).subscribeOn(Schedulers.boundedElastic()).flatMap(m -> m);
    }

    private static Mono<ServerResponse> text(String contentType, String body) {
        return ServerResponse.ok().headers(h -> BrowserHeaders.apply(h, BrowserHeaders.RELAXED_CONTENT_SECURITY_POLICY))
                .header("Content-Type", contentType).bodyValue(body);
    }

    /** Go's http.Error: plain text, nosniff, message plus newline, no other headers. */
    private static Mono<ServerResponse> error(HttpStatus status, String message) {
        return ServerResponse.status(status).header("Content-Type", TEXT_PLAIN).header("X-Content-Type-Options", "nosniff")
                .bodyValue(message + "\n");
    }

    private static void kv(StringBuilder html, String key, String value) {
        html.append("<li><b>").append(key).append(":</b> ").append(GoHtml.escape(value)).append("</li>");
    }

    /** Go's time.Duration string of a whole number of seconds: "0s", "42s", "3m7s", "26h0m5s". */
    static String goDuration(Duration d) {
        long total = Math.round(d.toMillis() / 1000.0);
        long h = total / 3600;
        long m = (total % 3600) / 60;
        long s = total % 60;
        if (h > 0) {
            return h + "h" + m + "m" + s + "s";
        }
        if (m > 0) {
            return m + "m" + s + "s";
        }
        return s + "s";
    }

    /** What Go's os.Hostname reports on Linux; never a DNS lookup. */
    private static String hostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        String env = System.getenv("HOSTNAME");
        if (env == null || env.isBlank()) {
            env = System.getenv("COMPUTERNAME");
        }
        return env == null || env.isBlank() ? "unknown" : env;
    }
}
