package io.jderper.http;

import io.jderper.config.BootstrapDnsProperties;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BootstrapDnsResolverTest {

    static BootstrapDnsResolver resolver(List<String> names, List<String> unpublished, FakeDnsLookup lookup,
                                         Duration timeout) {
        return new BootstrapDnsResolver(new BootstrapDnsProperties(names, unpublished), () -> lookup,
                new Random(7), timeout);
    }

    static BootstrapDnsResolver resolver(List<String> names, List<String> unpublished, FakeDnsLookup lookup) {
        return resolver(names, unpublished, lookup, Duration.ofSeconds(5));
    }

    private static String body(BootstrapDnsResolver r) {
        return new String(r.published().json(), StandardCharsets.UTF_8);
    }

    @Test
    void nothingConfiguredMeansNothingToStart() {
        FakeDnsLookup lookup = new FakeDnsLookup();
        BootstrapDnsResolver r = resolver(List.of(), List.of(), lookup);
        assertThat(r.isConfigured()).isFalse();
        r.start();
        assertThat(r.isRunning()).isFalse();
        assertThat(r.published()).isNull();
        assertThat(r.unpublished()).isNull();
        assertThat(lookup.ipQueries).hasValue(0);
    }

    @Test
    void publishedNamesAreResolvedSortedAndFailuresLeftOut() {
        FakeDnsLookup lookup = new FakeDnsLookup()
                .ip("b.example", "192.0.2.2")
                .ip("a.example", "2001:db8:0:0:0:0:0:1");
        BootstrapDnsResolver r = resolver(List.of("b.example", "missing.example", "a.example"), List.of(), lookup);
        r.refresh(lookup);
        assertThat(body(r)).isEqualTo("{\n\t\"a.example\": [\n\t\t\"2001:db8::1\"\n\t],\n\t\"b.example\": [\n\t\t\"192.0.2.2\"\n\t]\n}");
        assertThat(r.published().ips()).containsOnlyKeys("a.example", "b.example");
        assertThat(r.unpublished()).isNull();
    }

    @Test
    void everyLookupFailingServesNull() {
        FakeDnsLookup lookup = new FakeDnsLookup();
        BootstrapDnsResolver r = resolver(List.of("x.example", "y.example"), List.of(), lookup);
        r.refresh(lookup);
        assertThat(body(r)).isEqualTo("null");
        assertThat(r.published().ips()).isNull();
    }

    @Test
    void addressesAreShuffledOncePerRefresh() {
        String[] many = new String[12];
        for (int i = 0; i < many.length; i++) {
            many[i] = "192.0.2." + (i + 1);
        }
        FakeDnsLookup lookup = new FakeDnsLookup().ip("many.example", many);
        BootstrapDnsResolver r = resolver(List.of("many.example"), List.of(), lookup);
        r.refresh(lookup);
        List<String> first = r.published().ips().get("many.example");
        assertThat(first).containsExactlyInAnyOrder(many).isNotEqualTo(List.of(many));
        // The rendered body is fixed until the next refresh.
        byte[] json = r.published().json();
        assertThat(r.published().json()).isSameAs(json);
        r.refresh(lookup);
        assertThat(r.published().ips().get("many.example")).containsExactlyInAnyOrder(many);
    }

    @Test
    void slowLookupsAreCutOffAtTheDeadline() {
        FakeDnsLookup lookup = new FakeDnsLookup().ip("fast.example", "192.0.2.1").ip("slow.example", "192.0.2.2");
        lookup.slow.add("slow.example");
        BootstrapDnsResolver r = resolver(List.of("slow.example", "fast.example"), List.of(), lookup, Duration.ofMillis(200));
        long start = System.nanoTime();
        r.refresh(lookup);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.published().ips()).containsOnlyKeys("fast.example");
    }

    @Test
    void unpublishedRolloutPercentages() {
        FakeDnsLookup lookup = new FakeDnsLookup()
                .ip("all.example", "192.0.2.1")
                .ip("half.example", "192.0.2.2").txt("half.txt", "junk", "50")
                .ip("bad.example", "192.0.2.3").txt("bad.txt", "101", "5 ", "")
                .ip("notxt.example", "192.0.2.4")
                .ip("emptytxt.example", "192.0.2.5");
        BootstrapDnsResolver r = resolver(List.of(),
                List.of("all.example", "half.example/half.txt", "bad.example/bad.txt", "notxt.example/nothing.txt",
                        "emptytxt.example/", "gone.example"),
                lookup);
        r.refresh(lookup);
        BootstrapDnsResolver.Unpublished u = r.unpublished();
        assertThat(u.ips()).containsOnlyKeys("all.example", "half.example", "bad.example", "notxt.example",
                "emptytxt.example");
        assertThat(u.percentFor("all.example")).isEqualTo(1.0);
        assertThat(u.percentFor("half.example")).isEqualTo(0.5);
        assertThat(u.percentFor("bad.example")).isZero();
        assertThat(u.percentFor("notxt.example")).isZero();
        assertThat(u.percentFor("emptytxt.example")).isEqualTo(1.0);
        assertThat(u.percentFor("gone.example")).isZero();
        // Unpublished names never reach the published body.
        assertThat(r.published()).isNull();
    }

    @Test
    void percentParsingFollowsAtoi() {
        assertThat(BootstrapDnsResolver.parsePercent("0")).isZero();
        assertThat(BootstrapDnsResolver.parsePercent("100")).isEqualTo(100);
        assertThat(BootstrapDnsResolver.parsePercent("+50")).isEqualTo(50);
        assertThat(BootstrapDnsResolver.parsePercent("-0")).isZero();
        assertThat(BootstrapDnsResolver.parsePercent("007")).isEqualTo(7);
        for (String bad : new String[] {"", "+", "101", "-1", " 5", "5 ", "5%", "0x10", "99999999999"}) {
            assertThat(BootstrapDnsResolver.parsePercent(bad)).as(bad).isNull();
        }
    }

    @Test
    void lifecycleRefreshesInBackgroundAndClosesLookup() throws Exception {
        FakeDnsLookup lookup = new FakeDnsLookup().ip("a.example", "192.0.2.1");
        BootstrapDnsResolver r = resolver(List.of("a.example"), List.of(), lookup);
        r.start();
        try {
            assertThat(r.isRunning()).isTrue();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (r.published() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(r.published()).isNotNull();
            assertThat(r.published().ips()).containsKey("a.example");
        } finally {
            r.stop();
        }
        assertThat(r.isRunning()).isFalse();
        assertThat(lookup.closed).isTrue();
    }
}
