package io.jderper.ops;

import io.jderper.http.DebugAccess;
import io.jderper.tls.Port80Debug;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.reactivestreams.Publisher;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The port-80 listener's {@code /debug…} requests go to the same WebFlux application as the DERP listener's, so the
 * pages, the access rule and the 404s are identical on both (and {@code /debugx} gets the home page, as in the
 * original). The handler is looked up on first use: the port-80 listener only starts once the application is up.
 */
final class Port80DebugPages implements Port80Debug {
    private final ObjectProvider<HttpHandler> application;
    private final DebugAccess access;
    private volatile ReactorHttpHandlerAdapter adapter;

    Port80DebugPages(ObjectProvider<HttpHandler> application, DebugAccess access) {
        this.application = application;
        this.access = access;
    }

    @Override
    public Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response) {
        ReactorHttpHandlerAdapter a = adapter;
        if (a == null) {
            adapter = a = new ReactorHttpHandlerAdapter(application.getObject());
        }
        return a.apply(request, response);
    }

    @Override
    public boolean debugAllowed(HttpServerRequest request) {
        InetSocketAddress remote = request.remoteAddress();
        List<String> key = new QueryStringDecoder(request.uri()).parameters().get("debugkey");
        return access.allowed(remote == null ? null : remote.getAddress(), request.requestHeaders().get("X-Forwarded-For"),
                request.method().name(), key == null || key.isEmpty() ? null : key.get(0));
    }
}
