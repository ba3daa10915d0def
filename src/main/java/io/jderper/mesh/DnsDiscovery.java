package io.jderper.mesh;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Finds siblings by resolving a headless-service name every refresh period; each answer becomes the set of sibling
 * targets (the node's own address included: the link to it detects itself by the server key and stays idle).
 * A failed or empty answer leaves the current set alone: the name always lists at least this node, so emptiness means
 * a DNS problem rather than a region without servers, and tearing down live links on a DNS hiccup would cut traffic.
 */
final class DnsDiscovery {
    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);

    private final SiblingResolver resolver;
    private final String name;
    private final Function<InetAddress, SiblingTarget> toTarget;
    private final Consumer<Set<SiblingTarget>> apply;
    private final AtomicBoolean inFlight = new AtomicBoolean();
    private volatile ScheduledFuture<?> schedule;
    private volatile List<String> lastAddresses = List.of();
    private volatile Instant lastSuccess;
    private volatile String lastError;

    /** {@code toTarget} turns one address of the answer into the link to keep (URL, server name, port). */
    DnsDiscovery(SiblingResolver resolver, String name, Function<InetAddress, SiblingTarget> toTarget,
                 Consumer<Set<SiblingTarget>> apply) {
        this.resolver = resolver;
        this.name = name;
        this.toTarget = toTarget;
        this.apply = apply;
    }

    void start(ScheduledExecutorService executor, Duration every) {
        schedule = executor.scheduleWithFixedDelay(this::refresh, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop() {
        ScheduledFuture<?> s = schedule;
        if (s != null) {
            s.cancel(false);
        }
    }

    /** One resolution round; a round still waiting for its answer makes this one a no-op. */
    CompletableFuture<Void> refresh() {
        if (!inFlight.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<List<InetAddress>> answer;
        try {
            answer = resolver.resolve(name);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((addresses, error) -> {
            try {
                if (error != null || addresses.isEmpty()) {
                    String why = error != null ? String.valueOf(error.getMessage()) : "no addresses";
                    // Warn when the trouble starts, not on every round while it lasts.
                    if (lastError == null) {
                        log.warn("mesh discovery: {}: {}; keeping the current siblings", name, why);
                    } else {
                        log.debug("mesh discovery: {}: {}", name, why);
                    }
                    lastError = why;
                } else {
                    Set<SiblingTarget> targets = targets(addresses, toTarget);
                    List<String> names = targets.stream().map(SiblingTarget::name).toList();
                    if (lastError != null || !names.equals(lastAddresses)) {
                        log.info("mesh discovery: {} lists {}", name, names);
                    }
                    lastAddresses = names;
                    lastSuccess = Instant.now();
                    lastError = null;
                    apply.accept(targets);
                }
            } catch (RuntimeException e) {
                lastError = e.toString();
                log.warn("mesh discovery: applying the answer for {} failed", name, e);
            } finally {
                inFlight.set(false);
            }
            return null;
        });
    }

    /**
     * One target per address. A dual-stack pod answers with an A and an AAAA record, and two links to one sibling are
     * waste, so IPv4 addresses are used when there are any and IPv6 ones only in an IPv6-only cluster.
     */
    static Set<SiblingTarget> targets(List<InetAddress> addresses, Function<InetAddress, SiblingTarget> toTarget) {
        boolean anyV4 = addresses.stream().anyMatch(a -> a instanceof Inet4Address);
        return addresses.stream()
                .filter(a -> !anyV4 || a instanceof Inet4Address)
                .distinct()
                .sorted(Comparator.comparing(InetAddress::getHostAddress))
                .map(toTarget)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    record Status(String name, List<String> addresses, Instant lastSuccess, String lastError) {
    }

    Status status() {
        return new Status(name, lastAddresses, lastSuccess, lastError);
    }
}
