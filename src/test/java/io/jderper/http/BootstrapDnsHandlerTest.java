package io.jderper.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.jderper.http.BootstrapDnsResolverTest.resolver;
import static org.assertj.core.api.Assertions.assertThat;

/** The ?q= decision logic, driven directly (derper-behaviour.md §14, C-78, C-79). */
class BootstrapDnsHandlerTest {

    private static final InetAddress CLIENT = FakeDnsLookup.addr("198.51.100.7");

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private BootstrapDnsHandler handler(BootstrapDnsResolver r) {
        return new BootstrapDnsHandler(r, registry, () -> {
            throw new AssertionError("no loopback clients here");
        });
    }

    private double count(String name) {
        return registry.get(name).counter().count();
    }

    private static String text(byte[] body) {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Test
    void allSeriesExistFromStart() {
        handler(resolver(List.of(), List.of(), new FakeDnsLookup()));
        for (String n : new String[] {"bootstrap_dns_requests", "bootstrap_dns_published_hits",
                "bootstrap_dns_published_misses", "bootstrap_dns_unpublished_hits", "bootstrap_dns_unpublished_misses",
                "bootstrap_dns_unpublished_percent_misses"}) {
            assertThat(count(n)).as(n).isZero();
        }
        assertThat(registry.get("bootstrap_dns_queried_domains").gauge().value()).isZero();
    }

    @Test
    void c78_unconfiguredServesEmptyBody() {
        BootstrapDnsHandler h = handler(resolver(List.of(), List.of(), new FakeDnsLookup()));
        assertThat(h.answer(null, CLIENT)).isEmpty();
        assertThat(h.answer("anything", CLIENT)).isEmpty();
        assertThat(count("bootstrap_dns_requests")).isEqualTo(2);
        assertThat(count("bootstrap_dns_unpublished_misses")).isEqualTo(1);
    }

    @Test
    void configuredButNotYetRefreshedServesEmptyBody() {
        BootstrapDnsHandler h = handler(resolver(List.of("a.example"), List.of(), new FakeDnsLookup()));
        assertThat(h.answer(null, CLIENT)).isEmpty();
    }

    @Test
    void c79_publishedBodyWithAndWithoutQuery() {
        FakeDnsLookup lookup = new FakeDnsLookup().ip("localhost", "127.0.0.1");
        BootstrapDnsResolver r = resolver(List.of("localhost"), List.of(), lookup);
        r.refresh(lookup);
        BootstrapDnsHandler h = handler(r);
        String expected = "{\n\t\"localhost\": [\n\t\t\"127.0.0.1\"\n\t]\n}";
        assertThat(text(h.answer(null, CLIENT))).isEqualTo(expected);
        assertThat(text(h.answer("anything", CLIENT))).isEqualTo(expected);
        assertThat(text(h.answer("localhost", CLIENT))).isEqualTo(expected);
        assertThat(count("bootstrap_dns_requests")).isEqualTo(3);
        assertThat(count("bootstrap_dns_unpublished_misses")).isEqualTo(1);
        assertThat(count("bootstrap_dns_published_hits")).isEqualTo(1);
    }

    @Test
    void unpublishedNameIsAnsweredAloneAndNeverLeaks() {
        FakeDnsLookup lookup = new FakeDnsLookup()
                .ip("login.example", "192.0.2.1")
                .ip("log.example", "192.0.2.9", "2001:db8::9");
        BootstrapDnsResolver r = resolver(List.of("login.example"), List.of("log.example"), lookup);
        r.refresh(lookup);
        BootstrapDnsHandler h = handler(r);

        String hidden = text(h.answer("log.example", CLIENT));
        assertThat(hidden).startsWith("{\n\t\"log.example\": [\n").doesNotContain("login.example");
        assertThat(hidden).contains("\"192.0.2.9\"", "\"2001:db8::9\"");
        assertThat(count("bootstrap_dns_unpublished_hits")).isEqualTo(1);

        for (String q : new String[] {null, "login.example", "random.example"}) {
            assertThat(text(h.answer(q, CLIENT))).contains("login.example").doesNotContain("log.example\"");
        }
        assertThat(count("bootstrap_dns_published_hits")).isEqualTo(1);
        assertThat(count("bootstrap_dns_unpublished_misses")).isEqualTo(1);
    }

    @Test
    void clientOutsideRolloutGetsPublishedBody() {
        FakeDnsLookup lookup = new FakeDnsLookup()
                .ip("pub.example", "192.0.2.1")
                .ip("zero.example", "192.0.2.2").txt("zero.txt", "0")
                .ip("half.example", "192.0.2.3").txt("half.txt", "50");
        BootstrapDnsResolver r = resolver(List.of("pub.example"), List.of("zero.example/zero.txt", "half.example/half.txt"),
                lookup);
        r.refresh(lookup);
        BootstrapDnsHandler h = handler(r);
        String pub = "{\n\t\"pub.example\": [\n\t\t\"192.0.2.1\"\n\t]\n}";

        assertThat(text(h.answer("zero.example", CLIENT))).isEqualTo(pub);
        assertThat(count("bootstrap_dns_unpublished_hits")).isEqualTo(1);
        assertThat(count("bootstrap_dns_unpublished_percent_misses")).isEqualTo(1);
        assertThat(count("bootstrap_dns_unpublished_misses")).isEqualTo(1);

        // 1.2.3.4 is inside and 1.2.3.6 outside a 50 % rollout (the original's own sample).
        assertThat(text(h.answer("half.example", FakeDnsLookup.addr("1.2.3.4")))).contains("half.example");
        assertThat(text(h.answer("half.example", FakeDnsLookup.addr("1.2.3.6")))).isEqualTo(pub);
        assertThat(text(h.answer("half.example", null))).isEqualTo(pub);
    }

    @Test
    void loopbackClientsFlipACoin() {
        FakeDnsLookup lookup = new FakeDnsLookup().ip("half.example", "192.0.2.3").txt("half.txt", "50");
        BootstrapDnsResolver r = resolver(List.of(), List.of("half.example/half.txt"), lookup);
        r.refresh(lookup);
        double[] coin = {0.1};
        BootstrapDnsHandler h = new BootstrapDnsHandler(r, registry, () -> coin[0]);
        InetAddress loopback = FakeDnsLookup.addr("127.0.0.1");
        assertThat(text(h.answer("half.example", loopback))).contains("half.example");
        coin[0] = 0.9;
        assertThat(h.answer("half.example", loopback)).isEmpty();
    }

    @Test
    void failedPublishedNameCountsAsUnpublishedMiss() {
        // As in the original: a name whose lookup failed is absent from the published map, so it is "in neither set".
        FakeDnsLookup lookup = new FakeDnsLookup().ip("a.example", "192.0.2.1");
        BootstrapDnsResolver r = resolver(List.of("a.example", "b.example"), List.of(), lookup);
        r.refresh(lookup);
        BootstrapDnsHandler h = handler(r);
        h.answer("b.example", CLIENT);
        assertThat(count("bootstrap_dns_published_misses")).isZero();
        assertThat(count("bootstrap_dns_unpublished_misses")).isEqualTo(1);
    }

    @Test
    void queriedDomainsAreCountedAndBounded() {
        BootstrapDnsHandler h = handler(resolver(List.of(), List.of(), new FakeDnsLookup()));
        for (String q : new String[] {"a.io", "b.io", "c.io", "d.io", "e.io", "e.io", "e.io", "a.io"}) {
            h.answer(q, CLIENT);
        }
        assertThat(registry.get("bootstrap_dns_queried_domains").gauge().value()).isEqualTo(5);
        for (int i = 0; i < BootstrapDnsHandler.MAX_QUERIED_DOMAINS; i++) {
            h.answer("n" + i + ".io", CLIENT);
        }
        assertThat(registry.get("bootstrap_dns_queried_domains").gauge().value())
                .isLessThanOrEqualTo(BootstrapDnsHandler.MAX_QUERIED_DOMAINS);
    }

    @Test
    void queryParsingFollowsGo() {
        assertThat(BootstrapDnsHandler.firstQueryValue(null, "q")).isNull();
        assertThat(BootstrapDnsHandler.firstQueryValue("", "q")).isNull();
        assertThat(BootstrapDnsHandler.firstQueryValue("q=a.example", "q")).isEqualTo("a.example");
        assertThat(BootstrapDnsHandler.firstQueryValue("x=1&q=a&q=b", "q")).isEqualTo("a");
        assertThat(BootstrapDnsHandler.firstQueryValue("q", "q")).isEmpty();
        assertThat(BootstrapDnsHandler.firstQueryValue("q=a+b%2Ec", "q")).isEqualTo("a b.c");
        assertThat(BootstrapDnsHandler.firstQueryValue("q=%zz&q=ok", "q")).isEqualTo("ok");
        assertThat(BootstrapDnsHandler.firstQueryValue("q=a;b&q=ok", "q")).isEqualTo("ok");
        assertThat(BootstrapDnsHandler.firstQueryValue("%71=enc", "q")).isEqualTo("enc");
        assertThat(BootstrapDnsHandler.firstQueryValue("Q=x", "q")).isNull();
    }
}
