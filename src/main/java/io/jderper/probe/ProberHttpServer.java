package io.jderper.probe;

import io.jderper.config.ListenAddress;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.json.JsonMapper;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The prober's own small HTTP server (plain Reactor Netty, no Spring): the status page at {@code /} (HTML, or JSON for
 * {@code Accept: application/json}), {@code /status.json}, Prometheus metrics at {@code /metrics} and at the
 * original's {@code /debug/varz}, {@code /healthz}, and the original's {@code /debug/probe-run?name=} and
 * {@code /debug/probe-all}.
 */
final class ProberHttpServer implements AutoCloseable {
    private static final String HTML = "text/html; charset=utf-8";
    private static final String JSON_TYPE = "application/json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Prober prober;
    private final DisposableServer server;

    private ProberHttpServer(Prober prober, InetSocketAddress bind) {
        this.prober = prober;
        this.server = HttpServer.create()
                .bindAddress(() -> bind)
                .route(r -> r
                        .get("/", this::index)
                        .get("/status.json", (req, res) -> json(res, HttpResponseStatus.OK, StatusPage.json(prober.probeInfo(), Instant.now())))
                        .get("/metrics", this::metrics)
                        .get("/debug/varz", this::metrics)
                        .get("/healthz", (req, res) -> text(res, HttpResponseStatus.OK, "ok\n"))
                        .route(req -> req.uri().startsWith("/debug/probe-run"), this::runOne)
                        .get("/debug/probe-all", this::runAll))
                .bindNow(Duration.ofSeconds(10));
    }

    /** Starts serving on {@code listen} ({@code :8030}, {@code 127.0.0.1:0}, {@code [::1]:8030}). */
    static ProberHttpServer start(Prober prober, String listen) {
        ListenAddress address = ListenAddress.parse(listen, "-listen");
        InetSocketAddress bind = address.allInterfaces() ? new InetSocketAddress(address.port()) : address.toSocketAddress();
        try {
            return new ProberHttpServer(prober, bind);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot listen on " + listen + ": " + Probe.message(e), e);
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.address();
    }

    private Publisher<Void> index(HttpServerRequest req, HttpServerResponse res) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        if (!q.path().equals("/")) {
            return text(res, HttpResponseStatus.NOT_FOUND, "404 page not found\n");
        }
        String accept = Optional.ofNullable(req.requestHeaders().get(HttpHeaderNames.ACCEPT)).orElse("");
        if (accept.contains(JSON_TYPE) && !accept.contains("text/html")) {
            return json(res, HttpResponseStatus.OK, StatusPage.json(prober.probeInfo(), Instant.now()));
        }
        int refresh = 0;
        List<String> r = q.parameters().get("refresh");
        if (r != null && !r.isEmpty()) {
            try {
                refresh = Math.max(0, Math.min(3600, Integer.parseInt(r.get(0))));
            } catch (NumberFormatException ignored) {
                // no refresh
            }
        }
        return res.status(HttpResponseStatus.OK).header(HttpHeaderNames.CONTENT_TYPE, HTML)
                .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .sendString(Mono.just(StatusPage.html(prober.probeInfo(), Instant.now(), refresh))).then();
    }

    private Publisher<Void> metrics(HttpServerRequest req, HttpServerResponse res) {
        return res.status(HttpResponseStatus.OK).header(HttpHeaderNames.CONTENT_TYPE, PromText.CONTENT_TYPE)
                .sendString(Mono.fromSupplier(prober::metricsText)).then();
    }

    private Publisher<Void> runOne(HttpServerRequest req, HttpServerResponse res) {
        Mono<String> form = req.method().name().equals("POST")
                ? req.receive().aggregate().asString().defaultIfEmpty("")
                : Mono.just("");
        return form.flatMap(body -> {
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            List<String> names = new ArrayList<>(q.parameters().getOrDefault("name", List.of()));
            names.addAll(new QueryStringDecoder("?" + body).parameters().getOrDefault("name", List.of()));
            if (names.isEmpty() || names.get(0).isEmpty()) {
                return Mono.from(text(res, HttpResponseStatus.BAD_REQUEST, "missing name parameter\n"));
            }
            String name = names.get(0);
            Optional<ProbeInfo> before = prober.probe(name).map(Probe::info);
            Optional<CompletableFuture<ProbeInfo>> running = prober.runNow(name);
            if (running.isEmpty() || before.isEmpty()) {
                return Mono.from(text(res, HttpResponseStatus.NOT_FOUND, "unknown probe \"" + name + "\"\n"));
            }
            boolean wantsJson = Optional.ofNullable(req.requestHeaders().get(HttpHeaderNames.ACCEPT)).orElse("").equals(JSON_TYPE);
            return Mono.fromFuture(running.get()).flatMap(info -> {
                boolean ok = ProbeInfo.SUCCEEDED.equals(info.lastResult());
                HttpResponseStatus status = ok ? HttpResponseStatus.OK : HttpResponseStatus.FAILED_DEPENDENCY;
                if (wantsJson) {
                    return Mono.from(json(res, status, JSON.writeValueAsString(runResponse(info, before.get()))));
                }
                String stats = "Last " + info.recentResults().size() + " probes (including this one): success rate "
                        + Math.round(info.recentSuccessRatio() * 100) + "%, median latency "
                        + StatusPage.millis(info.recentMedianLatency()) + "\n";
                String text = ok ? "Probe succeeded in " + StatusPage.millis(info.latency()) + "\n" + stats
                        : "Probe failed: " + info.error() + "\n" + stats;
                return Mono.from(text(res, status, text));
            });
        });
    }

    private Publisher<Void> runAll(HttpServerRequest req, HttpServerResponse res) {
        List<String> excluded = new QueryStringDecoder(req.uri()).parameters().getOrDefault("exclude", List.of());
        Map<String, ProbeInfo> before = prober.probeInfo();
        Map<String, CompletableFuture<ProbeInfo>> runs = new LinkedHashMap<>();
        before.keySet().stream().filter(n -> !excluded.contains(n))
                .forEach(n -> prober.runNow(n).ifPresent(f -> runs.put(n, f)));
        return Mono.fromFuture(CompletableFuture.allOf(runs.values().toArray(CompletableFuture[]::new))).then(Mono.defer(() -> {
            Map<String, Object> results = new LinkedHashMap<>();
            boolean allOk = true;
            for (var e : runs.entrySet()) {
                ProbeInfo info = e.getValue().join();
                allOk &= ProbeInfo.SUCCEEDED.equals(info.lastResult());
                results.put(e.getKey(), runResponse(info, before.get(e.getKey())));
            }
            return Mono.from(json(res, allOk ? HttpResponseStatus.OK : HttpResponseStatus.FAILED_DEPENDENCY,
                    JSON.writeValueAsString(Map.of("Results", results))));
        }));
    }

    private static Map<String, Object> runResponse(ProbeInfo info, ProbeInfo previous) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ProbeInfo", StatusPage.probeJson(info, Instant.now()));
        m.put("PreviousSuccessRatio", previous.recentSuccessRatio());
        m.put("PreviousMedianLatencyMillis", previous.recentMedianLatency().toNanos() / 1e6);
        return m;
    }

    private static Publisher<Void> text(HttpServerResponse res, HttpResponseStatus status, String body) {
        return res.status(status).header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .sendString(Mono.just(body)).then();
    }

    private static Publisher<Void> json(HttpServerResponse res, HttpResponseStatus status, String body) {
        return res.status(status).header(HttpHeaderNames.CONTENT_TYPE, JSON_TYPE)
                .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .sendString(Mono.just(body)).then();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }
}
