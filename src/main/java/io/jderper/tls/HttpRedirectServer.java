package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.http.Generate204;
import io.jderper.http.GoHtml;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import java.net.InetSocketAddress;

/**
 * The plain-HTTP listener next to TLS ({@code derper.http.port}, spec §6.4): {@code /generate_204}, ACME HTTP-01
 * answers, and redirects of everything else to HTTPS. DERP itself is not served here.
 */
public final class HttpRedirectServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(HttpRedirectServer.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String GENERATE_204 = "/generate_204";

    private final InetSocketAddress bindAddress;
    private final boolean enabled;
    private final AcmeChallenges challenges;
    private final Port80Debug debug;
    private volatile DisposableServer server;

    /**
     * @param debug optional /debug passthrough; null redirects /debug like any other path
     */
    public HttpRedirectServer(DerperProperties core, HttpPortProperties http, ServerTls tls, Port80Debug debug) {
        this(http.enabled() ? core.listenAddress().toSocketAddress(http.port()) : null, tls.acmeChallenges(), debug);
    }

    HttpRedirectServer(InetSocketAddress bindAddress, AcmeChallenges challenges, Port80Debug debug) {
        this.bindAddress = bindAddress;
        this.enabled = bindAddress != null;
        this.challenges = challenges;
        this.debug = debug;
    }

    Publisher<Void> handle(HttpServerRequest req, HttpServerResponse res) {
        String uri = req.uri();
        String path = new QueryStringDecoder(uri).path();
        HttpMethod method = req.method();
        if (path.equals(GENERATE_204)) {
            res.status(HttpResponseStatus.NO_CONTENT).header("Cache-Control", Generate204.CACHE_CONTROL);
            Generate204.response(req.requestHeaders().get(Generate204.CHALLENGE_HEADER))
                    .ifPresent(v -> res.header(Generate204.RESPONSE_HEADER, v));
            return res.send();
        }
        String host = req.requestHeaders().get("Host", "");
        var acme = challenges.answer(path, host);
        if (acme.isPresent()) {
            var a = acme.get();
            res.status(a.status()).header("Content-Type", a.contentType());
            if (a.status() != 200) {
                res.header("X-Content-Type-Options", "nosniff");
            }
            return res.sendString(Mono.just(a.body()));
        }
        if (uri.startsWith("/debug") && debug != null) {
            return debug.serve(req, res);
        }
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            return res.status(HttpResponseStatus.BAD_REQUEST)
                    .header("Content-Type", TEXT).header("X-Content-Type-Options", "nosniff")
                    .sendString(Mono.just("Use HTTPS\n"));
        }
        String target = uri;
        if (uri.equals("/") && debug != null && debug.debugAllowed(req)) {
            target = "/debug/";
        }
        String location = "https://" + host + target;
        res.status(HttpResponseStatus.FOUND).header("Location", location)
                .header("Content-Type", "text/html; charset=utf-8");
        if (method.equals(HttpMethod.HEAD)) {
            return res.send();
        }
        return res.sendString(Mono.just("<a href=\"" + GoHtml.escape(location) + "\">Found</a>.\n\n"));
    }

    @Override
    public void start() {
        if (!enabled || server != null) {
            return;
        }
        try {
            server = HttpServer.create()
                    .bindAddress(() -> bindAddress)
                    .readTimeout(TlsParameters.PORT80_READ_TIMEOUT)
                    .handle(this::handle)
                    .bindNow();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot listen on derper.http.port (" + bindAddress + "): " + e.getMessage(), e);
        }
        log.info("HTTP listener (redirects to HTTPS, ACME challenges) on {}", server.address());
    }

    /** The bound port, or -1 when not listening. */
    public int port() {
        DisposableServer s = server;
        return s == null ? -1 : ((InetSocketAddress) s.address()).getPort();
    }

    @Override
    public void stop() {
        DisposableServer s = server;
        server = null;
        if (s != null) {
            s.disposeNow();
        }
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return TlsParameters.PORT80_PHASE;
    }
}
