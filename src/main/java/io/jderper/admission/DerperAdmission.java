package io.jderper.admission;

import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameDecoder;
import io.jderper.server.ClientAdmission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import reactor.core.publisher.Mono;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The server's admission policy: the configured verification checks in the original's order (local tailscaled, then
 * the admission controller; the first denial wins), with recent decisions cached per node key and source IP, and the
 * per-client receive rate limit attached to every admitted non-mesh connection.
 */
final class DerperAdmission implements ClientAdmission {

    record CacheKey(NodePublicKey key, InetAddress source) {
    }

    private final List<AdmissionCheck> checks;
    private final DecisionCache<CacheKey> cache;
    private final ReceiveRateLimits rateLimits;
    private final Counter cacheHits;
    private final Counter checksRun;

    DerperAdmission(List<AdmissionCheck> checks, DecisionCache<CacheKey> cache, ReceiveRateLimits rateLimits,
                    MeterRegistry registry) {
        this.checks = List.copyOf(checks);
        this.cache = cache;
        this.rateLimits = rateLimits;
        this.cacheHits = Counter.builder("derp_admission_cache_hits")
                .description("admission decisions reused from the recent-decision cache").register(registry);
        this.checksRun = Counter.builder("derp_admission_checks")
                .description("admission decisions asked of tailscaled or the admission controller").register(registry);
    }

    boolean verifying() {
        return !checks.isEmpty();
    }

    @Override
    public CompletionStage<Decision> admit(NodePublicKey key, InetSocketAddress remote) {
        if (checks.isEmpty()) {
            return CompletableFuture.completedFuture(Decision.ALLOW);
        }
        CacheKey cacheKey = new CacheKey(key, remote == null ? null : remote.getAddress());
        return cache.get(cacheKey, () -> runChecks(key, remote), cacheHits::increment);
    }

    private CompletableFuture<Decision> runChecks(NodePublicKey key, InetSocketAddress remote) {
        checksRun.increment();
        Mono<Decision> chain = Mono.just(Decision.ALLOW);
        for (AdmissionCheck check : checks) {
            chain = chain.flatMap(d -> d.allowed() ? check.check(key, remote) : Mono.just(d));
        }
        return chain.toFuture();
    }

    @Override
    public void registered(Channel channel, FrameDecoder decoder) {
        if (rateLimits != null) {
            rateLimits.attach(channel, decoder);
        }
    }
}
