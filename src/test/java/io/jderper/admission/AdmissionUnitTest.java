package io.jderper.admission;

import io.jderper.protocol.FrameDecoder;
import io.jderper.server.ClientAdmission;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The small parts: rate config parsing, buckets, the decision cache, and the file watcher. */
class AdmissionUnitTest {

    private static RateConfig parse(String json) {
        return RateConfig.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rateConfigParsesLikeGo_C66() {
        assertThat(parse("{\"PerClientRateLimitBytesPerSec\":1000000,\"PerClientRateBurstBytes\":2000000}"))
                .isEqualTo(new RateConfig(1_000_000, 2_000_000));
        assertThat(parse("{\"perclientratelimitbytespersec\":5,\"Other\":[1]}")).isEqualTo(new RateConfig(5, 0));
        assertThat(parse("null")).isEqualTo(RateConfig.DISABLED);
        assertThat(parse("{\"PerClientRateLimitBytesPerSec\":null}")).isEqualTo(RateConfig.DISABLED);
        assertThat(parse("{\"PerClientRateLimitBytesPerSec\":18446744073709551615}").bytesPerSecond()).isEqualTo(Long.MAX_VALUE);
        for (String bad : new String[] {"{\"PerClientRateLimitBytesPerSec\":-1}", "{\"PerClientRateLimitBytesPerSec\":1.5}",
                "{\"PerClientRateLimitBytesPerSec\":\"5\"}", "{\"PerClientRateLimitBytesPerSec\":18446744073709551616}",
                "[1]", "", "{} {}", "{\"PerClientRateLimitBytesPerSec\":"}) {
            assertThatThrownBy(() -> parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void appliedBurstHasTheFrameFloorAndZeroRateDisablesAll() {
        assertThat(new RateConfig(100_000, 0).applied()).isEqualTo(new RateConfig(100_000, 65_568));
        assertThat(new RateConfig(100_000, 1_000_000).applied()).isEqualTo(new RateConfig(100_000, 1_000_000));
        assertThat(new RateConfig(0, 1_000_000).applied()).isEqualTo(RateConfig.DISABLED);
    }

    @Test
    void tokenBucketStartsFullAndRefills() {
        AtomicLong now = new AtomicLong();
        TokenBucket b = new TokenBucket(2, 3, now::get);
        assertThat(b.tryTake()).isTrue();
        assertThat(b.tryTake()).isTrue();
        assertThat(b.tryTake()).isTrue();
        assertThat(b.tryTake()).isFalse();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        assertThat(b.tryTake()).isTrue();
        assertThat(b.tryTake()).isFalse();
        now.addAndGet(TimeUnit.SECONDS.toNanos(100));
        for (int i = 0; i < 3; i++) {
            assertThat(b.tryTake()).isTrue();
        }
        assertThat(b.tryTake()).isFalse();
        TokenBucket unlimited = new TokenBucket(Double.POSITIVE_INFINITY, 0, now::get);
        assertThat(unlimited.tryTake()).isTrue();
    }

    @Test
    void decisionCacheSharesInFlightChecksExpiresAndStaysBounded() {
        AtomicLong now = new AtomicLong();
        DecisionCache<String> cache = new DecisionCache<>(TimeUnit.SECONDS.toNanos(5), 3, now::get);
        AtomicInteger loads = new AtomicInteger();
        AtomicInteger hits = new AtomicInteger();
        CompletableFuture<ClientAdmission.Decision> pending = new CompletableFuture<>();
        CompletableFuture<ClientAdmission.Decision> first = cache.get("a", () -> {
            loads.incrementAndGet();
            return pending;
        }, hits::incrementAndGet);
        CompletableFuture<ClientAdmission.Decision> second = cache.get("a", () -> {
            loads.incrementAndGet();
            return new CompletableFuture<>();
        }, hits::incrementAndGet);
        assertThat(loads).hasValue(1);
        assertThat(hits).hasValue(1);
        now.addAndGet(TimeUnit.SECONDS.toNanos(60)); // age counts from completion, not from the request
        pending.complete(ClientAdmission.Decision.deny("x"));
        assertThat(first.join()).isEqualTo(second.join());
        now.addAndGet(TimeUnit.SECONDS.toNanos(4));
        cache.get("a", () -> CompletableFuture.completedFuture(ClientAdmission.Decision.ALLOW), hits::incrementAndGet);
        assertThat(loads).hasValue(1);
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertThat(cache.get("a", () -> {
            loads.incrementAndGet();
            return CompletableFuture.completedFuture(ClientAdmission.Decision.ALLOW);
        }, hits::incrementAndGet).join()).isEqualTo(ClientAdmission.Decision.ALLOW);
        assertThat(loads).hasValue(2);
        for (int i = 0; i < 100; i++) {
            cache.get("k" + i, () -> CompletableFuture.completedFuture(ClientAdmission.Decision.ALLOW), () -> {
            });
        }
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void connectionLimiterPausesReadingAndResumesWhenDebtIsPaid(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rate.json");
        Files.writeString(file, "{\"PerClientRateLimitBytesPerSec\":1000000}");
        ReceiveRateLimits limits = new ReceiveRateLimits(file, new SimpleMeterRegistry());
        FrameDecoder decoder = new FrameDecoder(FrameDecoder.Role.SERVER);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        limits.attach(ch, decoder);
        ConnectionRateLimiter limiter = new ConnectionRateLimiter(limits, ch, decoder);
        limiter.onHeader(4, 65_568);
        assertThat(ch.config().isAutoRead()).as("the burst covers one maximal frame").isTrue();
        limiter.onHeader(4, 50_000);
        assertThat(ch.config().isAutoRead()).as("in debt: not reading").isFalse();
        assertThat(limits.waited.sum()).isEqualTo(1);
        Thread.sleep(80); // 50 000 B at 1 MB/s = 50 ms
        ch.runScheduledPendingTasks();
        assertThat(ch.config().isAutoRead()).isTrue();

        limiter.onHeader(4, 65_568);
        limiter.onHeader(4, 65_568);
        assertThat(ch.config().isAutoRead()).isFalse();
        Files.writeString(file, "{\"PerClientRateLimitBytesPerSec\":0}");
        assertThat(limits.reload()).isTrue();
        limiter.limitsChanged();
        ch.runPendingTasks();
        assertThat(ch.config().isAutoRead()).as("limits lifted: reading again at once").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void watchedFileChangesReloadAndBrokenEditsKeepTheLimits_C65(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rate.json");
        Files.writeString(file, "{\"PerClientRateLimitBytesPerSec\":1000}");
        ReceiveRateLimits limits = new ReceiveRateLimits(file, new SimpleMeterRegistry());
        RateConfigReloader reloader = new RateConfigReloader(limits, true);
        reloader.start();
        try {
            Files.writeString(file, "{\"PerClientRateLimitBytesPerSec\":5000}");
            awaitRate(limits, 5000);
            Files.writeString(file, "{broken");
            Thread.sleep(1500);
            assertThat(limits.current().config().bytesPerSecond()).isEqualTo(5000);
            // A ConfigMap-style swap: a new file renamed over the old one.
            Path next = dir.resolve(".next");
            Files.writeString(next, "{\"PerClientRateLimitBytesPerSec\":7000}");
            Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            awaitRate(limits, 7000);
        } finally {
            reloader.stop();
        }
    }

    private static void awaitRate(ReceiveRateLimits limits, long rate) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (limits.current().config().bytesPerSecond() != rate && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(limits.current().config().bytesPerSecond()).isEqualTo(rate);
    }
}
