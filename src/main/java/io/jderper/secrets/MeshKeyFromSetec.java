package io.jderper.secrets;

import io.jderper.config.MeshSecretsProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.RotatingMeshKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The mesh key from a setec server. At startup the active version is asked for; if the server cannot be reached (or
 * gives no usable key) the cached copy is used, and with neither startup fails. While running, the active version is
 * checked every poll interval ({@code /api/get} with the known version and {@code UpdateIfChanged}, as setec's store
 * polls); a new version becomes the current key of the {@link RotatingMeshKey} the relay and the mesh read, and is
 * written to the cache. A failed check keeps the current key and is retried sooner (from 10 s, doubling, up to the
 * poll interval).
 */
public final class MeshKeyFromSetec implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeshKeyFromSetec.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(10);

    enum Source { SERVER, CACHE }

    /** What health and the metrics show; replaced whole on every change. */
    record Status(String secret, long version, Source source, Instant lastSuccess, Instant lastAttempt,
                  String lastError, Instant since) {
    }

    private final MeshSecretsProperties properties;
    private final String secret;
    private final SetecClient client;
    private final SetecFileCache cache;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final Map<SetecException.Kind, Counter> failures = new EnumMap<>(SetecException.Kind.class);
    private final Counter changed;
    private final Counter unchanged;
    private final Counter rotations;
    private final Instant started;

    // Written on the scheduler thread only (after construction).
    private RotatingMeshKey key;
    private long version;
    private Duration retryDelay = FIRST_RETRY;
    private ScheduledFuture<?> next;
    private volatile Status status;
    private volatile boolean closed;

    MeshKeyFromSetec(MeshSecretsProperties properties, SetecClient client, SetecFileCache cache,
                     ScheduledExecutorService scheduler, MeterRegistry registry, Clock clock) {
        this.properties = properties;
        this.secret = properties.secretName();
        this.client = client;
        this.cache = cache;
        this.scheduler = scheduler;
        this.clock = clock;
        this.started = clock.instant();
        for (SetecException.Kind k : SetecException.Kind.values()) {
            failures.put(k, fetches(registry, k.label));
        }
        this.changed = fetches(registry, "changed");
        this.unchanged = fetches(registry, "unchanged");
        this.rotations = Counter.builder("derper_mesh_secret_rotations")
                .description("new mesh key versions from the secrets server applied while running").register(registry);
        Gauge.builder("derper_mesh_secret_version", this, s -> s.status == null ? 0 : s.status.version())
                .description("version of the mesh key in use (from the secrets server or its cache)").register(registry);
        Gauge.builder("derper_mesh_secret_refresh_age_seconds", this, MeshKeyFromSetec::refreshAgeSeconds)
                .description("seconds since the secrets server last confirmed the mesh key (since start if it never has)")
                .register(registry);
    }

    private static Counter fetches(MeterRegistry registry, String result) {
        return Counter.builder("derper_mesh_secret_fetches")
                .description("requests to the secrets server for the mesh key, by result")
                .tag("result", result).register(registry);
    }

    /**
     * Gets the initial key: from the server, else from the cache; blocks at most the startup timeout.
     *
     * @throws IllegalStateException naming the property when there is no key to start with
     */
    RotatingMeshKey start() {
        Optional<SecretValue> cached = readCache();
        Instant deadline = clock.instant().plus(properties.startupTimeout());
        Duration backoff = Duration.ofMillis(250);
        while (true) {
            Instant attempt = clock.instant();
            try {
                SecretValue v = await(client.get(secret));
                MeshKey k = parse(v);
                changed.increment();
                key = new RotatingMeshKey(k);
                version = v.version();
                status = new Status(secret, version, Source.SERVER, attempt, attempt, null, attempt);
                log.info("mesh key: version {} of {} from {}", version, secret, properties.serverUri());
                if (cached.isEmpty() || !cached.get().equals(v)) {
                    writeCache(v);
                }
                break;
            } catch (SetecException e) {
                failures.get(e.kind()).increment();
                if (cached.isPresent()) {
                    MeshKey k = parseCached(cached.get());
                    if (k != null) {
                        key = new RotatingMeshKey(k);
                        version = cached.get().version();
                        status = new Status(secret, version, Source.CACHE, null, attempt, e.getMessage(), attempt);
                        log.warn("mesh key: {} ({}); starting with cached version {} from {}", e.getMessage(),
                                properties.serverUri(), version, cache.file());
                        break;
                    }
                }
                boolean retry = e.transientFailure() && clock.instant().plus(backoff).isBefore(deadline);
                if (!retry) {
                    throw new IllegalStateException("derper.mesh.secrets.url: no mesh key: " + secret + " from "
                            + properties.serverUri() + ": " + e.getMessage() + "; and no usable cached copy in "
                            + cache.file() + " (derper.mesh.secrets.cache-dir)", e);
                }
                log.info("mesh key: {}; retrying for up to {}", e.getMessage(), properties.startupTimeout());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(4)) > 0 ? Duration.ofSeconds(4) : backoff.multipliedBy(2);
            }
        }
        schedule(status.source() == Source.CACHE ? FIRST_RETRY : jittered(properties.pollInterval()));
        return key;
    }

    RotatingMeshKey key() {
        return key;
    }

    Status status() {
        return status;
    }

    MeshSecretsProperties properties() {
        return properties;
    }

    /** Seconds since the last confirmation by the server, or since start when there was none. */
    double refreshAgeSeconds() {
        Status s = status;
        Instant from = s == null || s.lastSuccess() == null ? started : s.lastSuccess();
        return Math.max(0, Duration.between(from, clock.instant()).toMillis() / 1000.0);
    }

    /** Checks for a new active version now (and restarts the poll schedule); for operators and tests. */
    java.util.concurrent.CompletableFuture<Void> refreshNow() {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        scheduler.execute(() -> {
            if (next != null) {
                next.cancel(false);
            }
            poll(done);
        });
        return done;
    }

    private void schedule(Duration delay) {
        if (closed) {
            return;
        }
        next = scheduler.schedule(() -> poll(null), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One check, on the scheduler thread; its answer is applied there too. */
    private void poll(java.util.concurrent.CompletableFuture<Void> done) {
        if (closed) {
            if (done != null) {
                done.complete(null);
            }
            return;
        }
        Instant attempt = clock.instant();
        client.getIfChanged(secret, version).whenCompleteAsync((answer, error) -> {
            try {
                if (error != null) {
                    failed(attempt, cause(error));
                } else {
                    applied(attempt, answer);
                }
            } finally {
                if (done != null) {
                    done.complete(null);
                }
            }
        }, scheduler);
    }

    private void applied(Instant attempt, Optional<SecretValue> answer) {
        if (answer.isEmpty() || answer.get().version() == version) {
            unchanged.increment();
            succeeded(attempt, version, null);
            return;
        }
        SecretValue v = answer.get();
        MeshKey k;
        try {
            k = parse(v);
        } catch (SetecException e) {
            // The known version is kept, so the next check asks again.
            failed(attempt, e);
            return;
        }
        changed.increment();
        long old = version;
        version = v.version();
        writeCache(v);
        succeeded(attempt, version, null);
        if (key.rotate(k, properties.previousKeyGrace())) {
            rotations.increment();
            log.info("mesh key: rotated from version {} to {} of {}; the previous key is accepted for {} more",
                    old, version, secret, properties.previousKeyGrace());
        } else {
            log.info("mesh key: version {} of {} has the same value as {}", version, secret, old);
        }
    }

    private void succeeded(Instant attempt, long v, String error) {
        Status s = status;
        status = new Status(secret, v, Source.SERVER, attempt, attempt, error, v == s.version() ? s.since() : attempt);
        retryDelay = FIRST_RETRY;
        schedule(jittered(properties.pollInterval()));
    }

    private void failed(Instant attempt, Throwable error) {
        SetecException e = error instanceof SetecException s ? s
                : new SetecException(SetecException.Kind.UNREACHABLE, 0, String.valueOf(error), error);
        failures.get(e.kind()).increment();
        Status s = status;
        status = new Status(s.secret(), s.version(), s.source(), s.lastSuccess(), attempt, e.getMessage(), s.since());
        log.warn("mesh key: checking {} failed: {} (keeping version {})", secret, e.getMessage(), version);
        Duration delay = retryDelay.compareTo(properties.pollInterval()) < 0 ? retryDelay : properties.pollInterval();
        retryDelay = retryDelay.multipliedBy(2);
        schedule(delay);
    }

    private MeshKey parse(SecretValue v) {
        try {
            return MeshKey.parse(v.text());
        } catch (IllegalArgumentException e) {
            throw new SetecException(SetecException.Kind.INVALID_KEY, 0,
                    "version " + v.version() + " of " + secret + " is not a mesh key: " + e.getMessage(), null);
        }
    }

    private MeshKey parseCached(SecretValue v) {
        try {
            return MeshKey.parse(v.text());
        } catch (IllegalArgumentException e) {
            log.warn("mesh key: the cached version {} in {} is not a mesh key: {}", v.version(), cache.file(), e.getMessage());
            return null;
        }
    }

    private Optional<SecretValue> readCache() {
        try {
            return cache.read(secret).map(SetecFileCache.Entry::secret);
        } catch (IOException e) {
            log.warn("mesh key: ignoring the cache: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private void writeCache(SecretValue v) {
        try {
            cache.write(secret, v, clock.instant());
        } catch (IOException e) {
            log.warn("mesh key: cannot update the cache {}: {}", cache.file(), e.getMessage());
        }
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get(properties.requestTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = cause(e);
            throw c instanceof SetecException s ? s : new SetecException(SetecException.Kind.UNREACHABLE, 0, String.valueOf(c), c);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new SetecException(SetecException.Kind.UNREACHABLE, 0, "no answer within " + properties.requestTimeout(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("derper.mesh.secrets.url: interrupted while fetching the mesh key", e);
        }
    }

    private static Throwable cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("derper.mesh.secrets.url: interrupted while fetching the mesh key", e);
        }
    }

    /** ±10 %, as setec's store jitters its poll so that a fleet does not ask at once. */
    static Duration jittered(Duration interval) {
        long ms = interval.toMillis();
        long tenth = ms / 10;
        return Duration.ofMillis(ms + (tenth == 0 ? 0 : ThreadLocalRandom.current().nextLong(-tenth, tenth + 1)));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.execute(() -> {
            if (next != null) {
                next.cancel(false);
            }
        });
        scheduler.shutdown();
    }
}
