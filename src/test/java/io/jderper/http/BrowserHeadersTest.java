package io.jderper.http;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

class BrowserHeadersTest {

    @Test
    void setsTheFourHeadersReplacingEarlierValues() {
        HttpHeaders h = new HttpHeaders();
        h.add("X-Frame-Options", "SAMEORIGIN");
        BrowserHeaders.apply(h);
        assertThat(h.get("Strict-Transport-Security")).containsExactly("max-age=63072000; includeSubDomains");
        assertThat(h.get("Content-Security-Policy")).containsExactly("default-src 'self'; frame-ancestors 'none'; "
                + "form-action 'self'; base-uri 'self'; block-all-mixed-content; object-src 'none'");
        assertThat(h.get("X-Frame-Options")).containsExactly("DENY");
        assertThat(h.get("X-Content-Type-Options")).containsExactly("nosniff");
    }
}
