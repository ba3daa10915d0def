package io.jderper.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.test.web.reactive.server.WebTestClient;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.jderper.http.BootstrapDnsResolverTest.resolver;
import static org.assertj.core.api.Assertions.assertThat;

/** The route as WebFlux serves it: method, path matching, headers and body bytes. */
class BootstrapDnsRouteTest {

    private static WebTestClient client(BootstrapDnsHandler handler) {
        return WebTestClient.bindToRouterFunction(handler).build();
    }

    private static void assertStandardHeaders(WebTestClient.ResponseSpec spec) {
        spec.expectStatus().isOk()
                .expectHeader().valueEquals("Content-Type", "application/json")
                .expectHeader().valueEquals("Connection", "close")
                .expectHeader().valueEquals("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
                .expectHeader().valueEquals("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; "
                        + "form-action 'self'; base-uri 'self'; block-all-mixed-content; object-src 'none'")
                .expectHeader().valueEquals("X-Frame-Options", "DENY")
                .expectHeader().valueEquals("X-Content-Type-Options", "nosniff");
    }

    @Test
    void c78_unconfiguredGivesEmptyJsonResponse() {
        BootstrapDnsHandler handler = new BootstrapDnsHandler(resolver(List.of(), List.of(), new FakeDnsLookup()),
                new SimpleMeterRegistry());
        WebTestClient.ResponseSpec spec = client(handler).get().uri("/bootstrap-dns").exchange();
        assertStandardHeaders(spec);
        spec.expectBody().isEmpty();
    }

    @Test
    void c79_configuredBodyForAnyMethodAndQuery() {
        FakeDnsLookup lookup = new FakeDnsLookup().ip("localhost", "127.0.0.1", "::1");
        BootstrapDnsResolver r = resolver(List.of("localhost"), List.of(), lookup);
        r.refresh(lookup);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BootstrapDnsHandler handler = new BootstrapDnsHandler(r, registry);
        String expected = new String(r.published().json(), StandardCharsets.UTF_8);
        assertThat(expected).startsWith("{\n\t\"localhost\": [\n\t\t\"").endsWith("\"\n\t]\n}");

        for (String uri : new String[] {"/bootstrap-dns", "/bootstrap-dns?q=anything"}) {
            WebTestClient.ResponseSpec spec = client(handler).get().uri(uri).exchange();
            assertStandardHeaders(spec);
            byte[] body = spec.expectBody(byte[].class).returnResult().getResponseBody();
            assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(expected);
        }
        assertThat(registry.get("bootstrap_dns_requests").counter().count()).isEqualTo(2);

        WebTestClient.ResponseSpec post = client(handler).method(HttpMethod.POST).uri("/bootstrap-dns").exchange();
        assertStandardHeaders(post);
        post.expectBody(String.class).isEqualTo(expected);
    }

    @Test
    void onlyTheExactPathIsRouted() {
        BootstrapDnsHandler handler = new BootstrapDnsHandler(resolver(List.of(), List.of(), new FakeDnsLookup()),
                new SimpleMeterRegistry());
        client(handler).get().uri("/bootstrap-dns/").exchange().expectStatus().isNotFound();
        client(handler).get().uri("/bootstrap-dnsx").exchange().expectStatus().isNotFound();
    }
}
