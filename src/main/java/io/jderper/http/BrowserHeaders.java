package io.jderper.http;

import org.springframework.http.HttpHeaders;

/** The security headers the original puts on pages a browser may render (derper-behaviour.md §6). */
public final class BrowserHeaders {
    public static final String CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
            + "base-uri 'self'; block-all-mixed-content; object-src 'none'";
    /** Debug sub-pages allow inline styles. */
    public static final String RELAXED_CSP = CSP + "; style-src 'self' 'unsafe-inline'";

    private BrowserHeaders() {
    }

    public static void apply(HttpHeaders headers) {
        apply(headers, CSP);
    }

    public static void apply(HttpHeaders headers, String csp) {
        headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
        headers.set("Content-Security-Policy", csp);
        headers.set("X-Frame-Options", "DENY");
        headers.set("X-Content-Type-Options", "nosniff");
    }
}
