package io.jderper.http;

import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * The four security headers the original puts on every page a browser might render
 * (derper-behaviour.md §6 "browser headers").
 */
public final class BrowserHeaders {

    public static final String STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains";
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; "
            + "form-action 'self'; base-uri 'self'; block-all-mixed-content; object-src 'none'";
    /** Debug sub-pages allow inline styles. */
    public static final String RELAXED_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY + "; style-src 'self' 'unsafe-inline'";
    public static final String X_FRAME_OPTIONS = "DENY";
    public static final String X_CONTENT_TYPE_OPTIONS = "nosniff";

    private BrowserHeaders() {
    }

    /** Sets (replacing any earlier value) the four headers. */
    public static HttpHeaders apply(HttpHeaders headers) {
        return apply(headers, CONTENT_SECURITY_POLICY);
    }

    public static HttpHeaders apply(HttpHeaders headers, String contentSecurityPolicy) {
        headers.set("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
        headers.set("Content-Security-Policy", contentSecurityPolicy);
        headers.set("X-Frame-Options", X_FRAME_OPTIONS);
        headers.set("X-Content-Type-Options", X_CONTENT_TYPE_OPTIONS);
        return headers;
    }

    public static <B extends ServerResponse.HeadersBuilder<B>> B apply(B builder) {
        return builder.headers(BrowserHeaders::apply);
    }
}
