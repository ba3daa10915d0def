package io.jderper.mesh;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The periodic resolution behind {@code derper.mesh.discovery=dns}, against a scripted resolver. */
class DnsDiscoveryTest {
    static final String NAME = "jderper-headless.derp.svc.cluster.local";

    final FakeSiblingResolver resolver = new FakeSiblingResolver();
    final List<Set<SiblingTarget>> applied = new CopyOnWriteArrayList<>();

    DnsDiscovery discovery(boolean tls, int port) {
        return new DnsDiscovery(resolver, NAME, a -> SiblingTarget.fromAddress(a, tls, port, ""), applied::add);
    }

    static List<String> names(Set<SiblingTarget> targets) {
        return targets.stream().map(SiblingTarget::name).toList();
    }

    @Test
    void eachAnswerBecomesTheSetOfTargetsOnTheDialPort() {
        DnsDiscovery d = discovery(false, 3340);
        resolver.answer(NAME, "127.0.0.2", "127.0.0.1");
        d.refresh().join();
        assertThat(applied).hasSize(1);
        assertThat(names(applied.get(0))).containsExactly("127.0.0.1:3340", "127.0.0.2:3340");
        assertThat(applied.get(0)).extracting(t -> t.url().toString())
                .containsExactly("http://127.0.0.1:3340/derp", "http://127.0.0.2:3340/derp");

        resolver.answer(NAME, "127.0.0.1", "127.0.0.2", "127.0.0.3");
        d.refresh().join();
        assertThat(names(applied.get(1))).containsExactly("127.0.0.1:3340", "127.0.0.2:3340", "127.0.0.3:3340");

        resolver.answer(NAME, "127.0.0.3");
        d.refresh().join();
        assertThat(names(applied.get(2))).containsExactly("127.0.0.3:3340");
        assertThat(d.status().addresses()).containsExactly("127.0.0.3:3340");
        assertThat(d.status().lastError()).isNull();
    }

    @Test
    void failedOrEmptyAnswersKeepTheCurrentSiblings() {
        DnsDiscovery d = discovery(false, 3340);
        resolver.answer(NAME, "127.0.0.1", "127.0.0.2");
        d.refresh().join();
        resolver.fail(NAME);
        d.refresh().join();
        resolver.answer(NAME);
        d.refresh().join();
        assertThat(applied).hasSize(1);
        assertThat(d.status().addresses()).containsExactly("127.0.0.1:3340", "127.0.0.2:3340");
        assertThat(d.status().lastError()).isEqualTo("no addresses");
    }

    @Test
    void dualStackAnswersUseIpv4OnlyAndIpv6OnlyAnswersAreBracketed() {
        DnsDiscovery d = discovery(true, 443);
        resolver.answer(NAME, "127.0.0.1", "::1", "127.0.0.2");
        d.refresh().join();
        assertThat(names(applied.get(0))).containsExactly("127.0.0.1:443", "127.0.0.2:443");
        assertThat(applied.get(0).iterator().next().url().toString()).isEqualTo("https://127.0.0.1/derp");

        DnsDiscovery v6 = discovery(true, 8443);
        resolver.answer(NAME, "::1");
        v6.refresh().join();
        SiblingTarget t = applied.get(1).iterator().next();
        assertThat(t.name()).isEqualTo("[0:0:0:0:0:0:0:1]:8443");
        assertThat(t.url().toString()).isEqualTo("https://[0:0:0:0:0:0:0:1]:8443/derp");
        assertThat(t.urlHostIsAddress()).isTrue();
        assertThat(t.hostToDial()).isEqualTo("0:0:0:0:0:0:0:1");
    }

    @Test
    void resolvesPeriodicallyUntilStopped() throws Exception {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        try {
            DnsDiscovery d = discovery(false, 3340);
            resolver.answer(NAME, "127.0.0.1");
            d.start(executor, Duration.ofMillis(50));
            await(Duration.ofSeconds(5), () -> applied.size() >= 3, "three rounds");
            d.stop();
            Thread.sleep(100);
            int rounds = resolver.lookups.get();
            Thread.sleep(300);
            assertThat(resolver.lookups.get()).isEqualTo(rounds);
        } finally {
            executor.shutdownNow();
        }
    }
}
