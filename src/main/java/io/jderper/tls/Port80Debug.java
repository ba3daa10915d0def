package io.jderper.tls;

import org.reactivestreams.Publisher;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Optional hook for the port-80 listener: the original serves request-URIs starting with {@code /debug} there
 * with the main handlers (debug-access rule applied) and sends debug-allowed callers of {@code /} to
 * {@code https://<host>/debug/}. Without a bean of this type, {@code /debug...} is redirected like any other path.
 */
public interface Port80Debug {
    /** Serves a request whose request-URI starts with {@code /debug}. */
    Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response);

    /** Whether the caller passes the debug-access rule (spec §15). */
    boolean debugAllowed(HttpServerRequest request);
}
