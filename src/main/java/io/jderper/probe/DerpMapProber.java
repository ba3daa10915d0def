package io.jderper.probe;

import io.netty.util.NetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@code derp_map} probe: fetches the DERP map and keeps one probe per node and class (TLS, STUN over IPv4 and
 * IPv6) and per ordered node pair of a region (mesh, bandwidth, queuing delay), adding and removing probes as the map
 * changes. Probe names and labels are the original's, so dashboards and alerts written for derpprobe apply.
 */
final class DerpMapProber {
    private static final Logger log = LoggerFactory.getLogger(DerpMapProber.class);
    static final String NAME = "derpmap-probe";
    static final String CLASS = "derp_map";
    static final String UDP_CLASS = "derp_udp";
    /** How long a fetched map stands in when the next fetch cannot reach the source. */
    static final Duration STALE_MAP_GRACE = Duration.ofMinutes(10);

    private final Prober prober;
    private final ProbeSettings settings;
    private final MapSource source;
    private final ProbeTrust trust;
    private final HttpClient http;
    private final DerpPairProbes pairs;

    // Guarded by this.
    private DerpMap lastMap;
    private Instant lastMapAt;
    private Map<String, DerpMap.Node> nodes = Map.of();
    private final Map<String, Probe> probes = new HashMap<>();

    DerpMapProber(Prober prober, ProbeSettings settings, MapSource source, ProbeTrust trust, HttpClient http) {
        this.prober = prober;
        this.settings = settings;
        this.source = source;
        this.trust = trust;
        this.http = http;
        this.pairs = new DerpPairProbes(this::node, settings.meshKeys(), trust);
    }

    ProbeClass probeClass() {
        return ProbeClass.of(CLASS, this::probeMap);
    }

    synchronized Optional<DerpMap.Node> node(String name) {
        return Optional.ofNullable(nodes.get(name));
    }

    private CompletionStage<?> probeMap(ProbeRun run) {
        return source.fetch(run).handle((map, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                synchronized (this) {
                    if (cause instanceof MapSource.Unreachable && lastMap != null
                            && Duration.between(lastMapAt, Instant.now()).compareTo(STALE_MAP_GRACE) < 0) {
                        log.warn("Error while fetching DERP map, using cached one: {}", cause.getMessage());
                        return null;
                    }
                }
                throw new ProbeFailure(Probe.message(cause));
            }
            update(map);
            return null;
        });
    }

    private boolean skipRegion(DerpMap.Region region) {
        String want = settings.regionCodeOrId();
        return !want.isEmpty() && !region.regionCode().equals(want) && !String.valueOf(region.regionId()).equals(want);
    }

    private synchronized void update(DerpMap map) {
        Map<String, DerpMap.Node> byName = new LinkedHashMap<>();
        for (DerpMap.Region region : map.regions().values()) {
            if (skipRegion(region)) {
                continue;
            }
            for (DerpMap.Node n : region.nodes()) {
                DerpMap.Node node = settings.derpHttp() ? n.withPlainHttp(true) : n;
                DerpMap.Node existing = byName.putIfAbsent(node.name(), node);
                if (existing != null) {
                    throw new ProbeFailure("derpmap has duplicate nodes: " + existing + " and " + node);
                }
            }
        }
        lastMap = map;
        lastMapAt = Instant.now();
        nodes = byName;
        reconcile(map);
    }

    private void reconcile(DerpMap map) {
        Set<String> want = new HashSet<>();
        for (DerpMap.Region region : map.regions().values()) {
            if (skipRegion(region)) {
                continue;
            }
            for (DerpMap.Node server : region.nodes()) {
                DerpMap.Node current = nodes.get(server.name());
                Map<String, String> labels = Map.of(
                        "region", region.regionCode(),
                        "region_id", String.valueOf(region.regionId()),
                        "hostname", server.hostName());
                String base = "derp/" + region.regionCode() + "/" + server.name();
                if (!settings.tlsInterval().isZero() && !current.plainHttp()) {
                    ensure(want, base + "/tls", settings.tlsInterval(), labels,
                            () -> TlsProbe.probeClass(current, trust, http));
                }
                if (!settings.stunInterval().isZero() && server.stunPort() != -1) {
                    String[] ips = {server.ipv6(), server.ipv4()};
                    for (int i = 0; i < ips.length; i++) {
                        String ip = ips[i];
                        if (ip == null || ip.isEmpty()) {
                            continue;
                        }
                        // Not an address (e.g. "none", which switches a family off for clients): nothing to probe.
                        if (!NetUtil.isValidIpV4Address(ip) && !NetUtil.isValidIpV6Address(ip)) {
                            continue;
                        }
                        String family = NetUtil.isValidIpV4Address(ip) ? "ipv4" : "ipv6";
                        InetSocketAddress target = new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(ip),
                                server.effectiveStunPort());
                        ensure(want, base + (i == 0 ? "/udp6" : "/udp"), settings.stunInterval(), labels,
                                () -> udp(target, family));
                    }
                }
                for (DerpMap.Node to : region.nodes()) {
                    String pair = base + "/" + to.name();
                    if (!settings.meshInterval().isZero()) {
                        ensure(want, pair + "/mesh", settings.meshInterval(), labels, () -> pairs.mesh(server.name(), to.name()));
                    }
                    if (!settings.bwInterval().isZero() && settings.bwProbeSizeBytes() > 0) {
                        ensure(want, pair + "/bw", settings.bwInterval(), labels,
                                () -> pairs.bandwidth(server.name(), to.name(), settings.bwProbeSizeBytes()));
                    }
                    if (settings.qdPacketsPerSecond() > 0) {
                        ensure(want, pair + "/qd", ProbeSettings.CONTINUOUS_RESTART.negated(), labels,
                                () -> pairs.queuingDelay(server.name(), to.name(), settings.qdPacketsPerSecond(), settings.qdPacketTimeout()));
                    }
                }
            }
        }
        for (var it = probes.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!want.contains(e.getKey())) {
                log.info("removing DERP probe {}", e.getKey());
                prober.remove(e.getValue());
                it.remove();
            }
        }
    }

    private void ensure(Set<String> want, String name, Duration interval, Map<String, String> labels,
                        java.util.function.Supplier<ProbeClass> probeClass) {
        want.add(name);
        if (!probes.containsKey(name)) {
            log.info("adding DERP probe {} ({})", name, interval.isNegative()
                    ? "continuous, restarted " + Probe.format(interval.negated()) + " after it ends"
                    : "every " + Probe.format(interval));
            probes.put(name, prober.run(name, interval, labels, probeClass.get()));
        }
    }

    private ProbeClass udp(InetSocketAddress target, String family) {
        ProbeTask task = run -> {
            Duration window = run.remaining();
            CompletableFuture<StunClient.Result> result = StunClient.query(target, window, Duration.ofSeconds(2),
                    channel -> run.onEnd(channel::close));
            run.onEnd(() -> result.completeExceptionally(new ProbeFailure("timeout reading from "
                    + StunClient.addressText(target) + " (no answer in " + Probe.format(window) + ")")));
            return result.thenAccept(r -> run.detail("mapped address " + NetUtil.toSocketAddressString(r.mappedAddress())));
        };
        return new ProbeClass(UDP_CLASS, Map.of("address_family", family), task, null);
    }
}
