package io.jderper.secrets;

import io.jderper.config.MeshSecretsProperties;
import io.jderper.key.RotatingMeshKey;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.health.contributor.Health;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The mesh key's life against a setec-compatible server: startup, cache fallback, rotation and bad answers. */
class MeshKeyFromSetecTest {
    static final String NAME = "prod/derp/meshkey";
    static final String K1 = "11".repeat(32);
    static final String K2 = "22".repeat(32);

    @TempDir
    Path dir;
    FakeSetec setec;
    MeterRegistry registry;
    MutableClock clock;
    final List<MeshKeyFromSetec> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        setec = new FakeSetec();
        registry = new SimpleMeterRegistry();
        clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @AfterEach
    void tearDown() {
        started.forEach(MeshKeyFromSetec::close);
        setec.close();
    }

    MeshSecretsProperties props(URI url, Duration startupTimeout) {
        return new MeshSecretsProperties(url.toString(), "prod/derp", dir.resolve("cache").resolve("derper-secrets"),
                Duration.ofHours(1), Duration.ofSeconds(2), startupTimeout, Duration.ofHours(1), Duration.ofHours(6));
    }

    MeshKeyFromSetec service(MeshSecretsProperties p) throws IOException {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        MeshKeyFromSetec s = new MeshKeyFromSetec(p, new SetecClient(p.serverUri(), p.requestTimeout(), scheduler),
                SetecFileCache.open(p.cacheFile(null)), scheduler, registry, clock);
        started.add(s);
        return s;
    }

    MeshKeyFromSetec startedFromServer() throws Exception {
        setec.activate(NAME, 1, K1 + "\n");
        MeshKeyFromSetec s = service(props(setec.url(), Duration.ofSeconds(5)));
        s.start();
        return s;
    }

    double fetches(String result) {
        return registry.get("derper_mesh_secret_fetches").tag("result", result).counter().count();
    }

    void refresh(MeshKeyFromSetec s) throws Exception {
        s.refreshNow().get(10, TimeUnit.SECONDS);
    }

    @Test
    void startsWithTheActiveVersionAndCachesIt() throws Exception {
        MeshKeyFromSetec s = startedFromServer();
        assertThat(s.key().current().orElseThrow().toHex()).as("whitespace trimmed as by the original").isEqualTo(K1);
        assertThat(s.status().source()).isEqualTo(MeshKeyFromSetec.Source.SERVER);
        assertThat(setec.requests()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.path()).isEqualTo("/api/get");
            assertThat(r.contentType()).isEqualTo("application/json");
            assertThat(r.noBrowsers()).isEqualTo("setec");
            assertThat(r.body()).isEqualTo("{\"Name\":\"prod/derp/meshkey\",\"Version\":0,\"UpdateIfChanged\":false}");
        });
        SetecFileCache.Entry cached = SetecFileCache.open(dir.resolve("cache/derper-secrets")).read(NAME).orElseThrow();
        assertThat(cached.secret().version()).isEqualTo(1);
        assertThat(cached.secret().text()).isEqualTo(K1 + "\n");
        assertThat(fetches("changed")).isEqualTo(1);
        assertThat(registry.get("derper_mesh_secret_version").gauge().value()).isEqualTo(1);
        assertThat(registry.get("derper_mesh_secret_refresh_age_seconds").gauge().value()).isZero();
    }

    @Test
    void startsFromTheCacheWhileTheServerIsDown() throws Exception {
        Path file = dir.resolve("cache/derper-secrets");
        Files.createDirectories(file.getParent());
        Files.writeString(file, SetecFileCacheTest.GO_WRITTEN);
        MeshKeyFromSetec s = service(props(FakeSetec.closedPort(), Duration.ofSeconds(5)));
        RotatingMeshKey key = s.start();
        assertThat(key.current().orElseThrow().toHex()).isEqualTo(SetecFileCacheTest.KEY);
        assertThat(s.status().source()).isEqualTo(MeshKeyFromSetec.Source.CACHE);
        assertThat(s.status().version()).isEqualTo(3);
        assertThat(s.status().lastSuccess()).isNull();
        assertThat(s.status().lastError()).contains("cannot reach");
        assertThat(fetches("unreachable")).isEqualTo(1);
        assertThat(Files.readString(file)).as("the cache is left as it was").isEqualTo(SetecFileCacheTest.GO_WRITTEN);
    }

    @Test
    void withNeitherServerNorCacheStartupFailsNamingBoth() throws Exception {
        MeshKeyFromSetec down = service(props(FakeSetec.closedPort(), Duration.ofSeconds(1)));
        assertThatThrownBy(down::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("derper.mesh.secrets.url").hasMessageContaining("cannot reach")
                .hasMessageContaining("derper.mesh.secrets.cache-dir");
        assertThat(fetches("unreachable")).as("retried until the startup timeout").isGreaterThan(1);

        // A missing secret is not worth waiting for.
        MeshKeyFromSetec missing = service(props(setec.url(), Duration.ofSeconds(30)));
        assertThatThrownBy(missing::start).hasMessageContaining("prod/derp/meshkey").hasMessageContaining("not found");
        assertThat(setec.requests()).hasSize(1);
    }

    @Test
    void anInvalidValueAtStartupFallsBackToTheCacheOrFails() throws Exception {
        setec.activate(NAME, 4, "not a mesh key");
        assertThatThrownBy(() -> service(props(setec.url(), Duration.ofSeconds(5))).start())
                .hasMessageContaining("version 4 of prod/derp/meshkey is not a mesh key");
        assertThat(fetches("invalid_key")).isEqualTo(1);
        Path file = dir.resolve("cache/derper-secrets");
        Files.writeString(file, SetecFileCacheTest.GO_WRITTEN);
        MeshKeyFromSetec s = service(props(setec.url(), Duration.ofSeconds(5)));
        assertThat(s.start().current().orElseThrow().toHex()).isEqualTo(SetecFileCacheTest.KEY);
        assertThat(s.status().lastError()).contains("not a mesh key");
    }

    @Test
    void aNewActiveVersionBecomesTheKeyAndTheOldOneStaysAcceptedForTheGrace() throws Exception {
        MeshKeyFromSetec s = startedFromServer();
        List<String> rotatedTo = new ArrayList<>();
        s.key().onRotation(r -> rotatedTo.add(r.current().toHex()));

        refresh(s);
        assertThat(setec.requests().get(1).body()).isEqualTo("{\"Name\":\"prod/derp/meshkey\",\"Version\":1,\"UpdateIfChanged\":true}");
        assertThat(fetches("unchanged")).isEqualTo(1);
        assertThat(rotatedTo).isEmpty();

        setec.activate(NAME, 2, K2);
        clock.advance(Duration.ofMinutes(5));
        refresh(s);
        assertThat(s.key().current().orElseThrow().toHex()).isEqualTo(K2);
        assertThat(s.key().accepts(K2)).isTrue();
        assertThat(s.key().accepts(K1)).as("previous key within the grace").isTrue();
        assertThat(rotatedTo).containsExactly(K2);
        assertThat(s.status().version()).isEqualTo(2);
        assertThat(s.status().since()).isEqualTo(clock.instant());
        assertThat(registry.get("derper_mesh_secret_version").gauge().value()).isEqualTo(2);
        assertThat(registry.get("derper_mesh_secret_rotations").counter().count()).isEqualTo(1);
        assertThat(SetecFileCache.open(dir.resolve("cache/derper-secrets")).read(NAME).orElseThrow().secret().version()).isEqualTo(2);

        refresh(s);
        assertThat(setec.requests().get(3).body()).contains("\"Version\":2");
        assertThat(rotatedTo).hasSize(1);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "500 | internal error            | http_error    | request returned status 500: \"internal error\"",
            "502 | <html>bad gateway</html>  | http_error    | status 502",
            "200 | not json                  | bad_response  | not JSON",
            "200 | {\"Value\":7}             | bad_response  | not a base64 string",
            "200 | {\"Value\":\"bm90IGEga2V5\",\"Version\":2} | invalid_key | version 2 of prod/derp/meshkey is not a mesh key",
            "403 | access denied             | access_denied | access denied (403)",
            "404 | not found                 | not_found     | secret not found",
    })
    void aBadAnswerIsCountedAndKeepsTheCurrentKey(int status, String body, String result, String message) throws Exception {
        MeshKeyFromSetec s = startedFromServer();
        setec.answer(status, body);
        clock.advance(Duration.ofMinutes(1));
        refresh(s);
        assertThat(fetches(result)).isEqualTo(1);
        assertThat(s.key().current().orElseThrow().toHex()).isEqualTo(K1);
        assertThat(s.status().version()).isEqualTo(1);
        assertThat(s.status().lastError()).contains(message);
        assertThat(s.status().lastAttempt()).isEqualTo(clock.instant());
        assertThat(s.status().lastSuccess()).as("the failure is no confirmation").isBefore(clock.instant());
        assertThat(registry.get("derper_mesh_secret_refresh_age_seconds").gauge().value()).isEqualTo(60);

        setec.answer(null, null);
        refresh(s);
        assertThat(s.status().lastSuccess()).isEqualTo(clock.instant());
        assertThat(s.status().lastError()).isNull();
    }

    @Test
    void anOversizedOrMissingSecretKeepsTheKey() throws Exception {
        MeshKeyFromSetec s = startedFromServer();
        setec.answer(200, "{\"Value\":\"" + "A".repeat(SetecClient.MAX_BODY) + "\"}");
        refresh(s);
        assertThat(s.status().lastError()).contains("larger than 65536 bytes");
        setec.answer(null, null);
        setec.delete(NAME);
        refresh(s);
        assertThat(s.status().lastError()).contains("secret not found (404)");
        assertThat(s.key().current().orElseThrow().toHex()).isEqualTo(K1);
        assertThat(fetches("bad_response") + fetches("not_found")).isEqualTo(2);
    }

    @Test
    void aServerThatHangsIsATimeoutAndKeepsTheKey() throws Exception {
        setec.activate(NAME, 1, K1);
        MeshSecretsProperties p = new MeshSecretsProperties(setec.url().toString(), "prod/derp",
                dir.resolve("cache/derper-secrets"), Duration.ofHours(1), Duration.ofMillis(300), Duration.ofSeconds(5),
                Duration.ofHours(1), Duration.ofHours(6));
        MeshKeyFromSetec s = service(p);
        s.start();
        setec.delay(Duration.ofSeconds(3));
        long t0 = System.nanoTime();
        refresh(s);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("bounded by the request timeout, not the server")
                .isLessThan(Duration.ofSeconds(3));
        assertThat(s.status().lastError()).contains("timed out");
        assertThat(fetches("unreachable")).isEqualTo(1);
        assertThat(s.key().current().orElseThrow().toHex()).isEqualTo(K1);
    }

    @Test
    void healthTurnsStaleWithoutConfirmationButStaysOutOfTheAggregate() throws Exception {
        MeshKeyFromSetec s = startedFromServer();
        MeshSecretHealthIndicator health = new MeshSecretHealthIndicator(s);
        Health fresh = health.health();
        assertThat(fresh.getStatus().getCode()).isEqualTo("UP");
        assertThat(fresh.getDetails()).containsEntry("version", 1L).containsEntry("source", "server")
                .containsEntry("secret", NAME).containsEntry("previousKeyAccepted", false);
        setec.answer(500, "down");
        clock.advance(Duration.ofHours(6).plusSeconds(1));
        refresh(s);
        Health stale = health.health();
        assertThat(stale.getStatus().getCode()).isEqualTo(MeshSecretHealthIndicator.STALE);
        assertThat(stale.getDetails()).containsEntry("lastError", "request returned status 500: \"down\"");
        assertThat(stale.getDetails().get("lastRefresh")).isEqualTo("2026-01-01T00:00:00Z");
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
