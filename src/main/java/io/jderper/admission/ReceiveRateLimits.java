package io.jderper.admission;

import io.jderper.protocol.FrameDecoder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The per-client receive limits of {@code -rate-config}: loaded at startup (a bad file stops startup), replaced at
 * runtime by {@link #reload()} (a bad file keeps the limits in force). Every admitted non-mesh connection gets a
 * {@link ConnectionRateLimiter}; a reload gives each of them a fresh, full bucket with the new values.
 */
public final class ReceiveRateLimits {
    static final String PROPERTY = "derper.limits.rate-config";
    private static final Logger log = LoggerFactory.getLogger(ReceiveRateLimits.class);

    /** Values in force; {@code generation} changes on every successful load. */
    record Applied(RateConfig config, long generation) {
    }

    private final Path file;
    private final Set<ConnectionRateLimiter> live = ConcurrentHashMap.newKeySet();
    final LongAdder waited = new LongAdder();
    private volatile Applied current;
    private byte[] lastRead;

    ReceiveRateLimits(Path file, MeterRegistry registry) {
        this.file = file;
        try {
            byte[] bytes = Files.readAllBytes(file);
            apply(RateConfig.parse(bytes), bytes);
        } catch (IOException e) {
            throw new IllegalStateException(PROPERTY + ": cannot read " + file + ": " + e, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(PROPERTY + ": " + file + ": " + e.getMessage(), e);
        }
        Gauge.builder("derp_rate_limit_per_client_bytes_per_second", this, r -> r.current.config().bytesPerSecond())
                .description("per-client receive rate limit in force (0 = none)").register(registry);
        Gauge.builder("derp_rate_limit_per_client_burst_bytes", this, r -> r.current.config().burstBytes())
                .description("per-client receive burst in force, after the 65568-byte floor").register(registry);
        FunctionCounter.builder("derp_rate_limit_per_client_waited", waited, LongAdder::doubleValue)
                .description("frames whose reading waited for the per-client rate limit").register(registry);
    }

    Path file() {
        return file;
    }

    Applied current() {
        return current;
    }

    /**
     * Re-reads the file. On success the new limits apply at once to every connection; on failure the old ones stay
     * and the reason is logged. Returns whether new limits were applied.
     */
    public synchronized boolean reload() {
        byte[] bytes;
        RateConfig parsed;
        try {
            bytes = Files.readAllBytes(file);
            parsed = RateConfig.parse(bytes);
        } catch (IOException | IllegalArgumentException e) {
            log.warn("rate config reload from {} failed, keeping {} B/s burst {} B: {}", file,
                    current.config().bytesPerSecond(), current.config().burstBytes(), e.getMessage());
            return false;
        }
        apply(parsed, bytes);
        for (ConnectionRateLimiter limiter : live) {
            limiter.limitsChanged();
        }
        return true;
    }

    /** Reloads only when the file's bytes differ from those last loaded (used by the file watcher). */
    synchronized boolean reloadIfChanged() {
        try {
            if (Arrays.equals(Files.readAllBytes(file), lastRead)) {
                return false;
            }
        } catch (IOException e) {
            // Mid-replacement; the next event or SIGHUP will tell.
            log.debug("rate config {} unreadable for now: {}", file, e.toString());
            return false;
        }
        return reload();
    }

    private void apply(RateConfig parsed, byte[] bytes) {
        Applied previous = current;
        RateConfig applied = parsed.applied();
        current = new Applied(applied, previous == null ? 0 : previous.generation() + 1);
        lastRead = bytes;
        log.info("rate config applied: client-rate={} bytes/sec, client-burst={} bytes", applied.bytesPerSecond(),
                applied.burstBytes());
    }

    void attach(Channel channel, FrameDecoder decoder) {
        ConnectionRateLimiter limiter = new ConnectionRateLimiter(this, channel, decoder);
        live.add(limiter);
        channel.closeFuture().addListener(f -> {
            live.remove(limiter);
            limiter.closed();
        });
        decoder.observer(limiter);
    }

    int liveConnections() {
        return live.size();
    }
}
