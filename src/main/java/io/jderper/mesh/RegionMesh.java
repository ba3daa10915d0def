package io.jderper.mesh;

import io.jderper.client.ClientEventLoops;
import io.jderper.client.Transport;
import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import io.jderper.server.DerpServer;
import io.jderper.server.ShutdownParticipant;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The region mesh: one {@link MeshLink} per sibling, from the static {@code derper.mesh.with} list and, with
 * {@code derper.mesh.discovery=dns}, from the addresses behind {@code derper.mesh.dns-name}. Starts after the web
 * server (so the node's own port is known). On shutdown the links close when the shutdown sequence has drained the
 * relay's clients ({@link #relayDrained()}), so cross-node traffic keeps flowing while clients are being moved away.
 */
public final class RegionMesh implements SmartLifecycle, ShutdownParticipant {
    /**
     * After the web servers' start phase ({@code DEFAULT_PHASE - 2048}), which binds the port the links announce. The
     * links' stop here finds nothing to do after the shutdown sequence closed them.
     */
    public static final int LIFECYCLE_PHASE = SmartLifecycle.DEFAULT_PHASE - 150;

    private static final Logger log = LoggerFactory.getLogger(RegionMesh.class);

    /** A link failure repeating unchanged is logged at most once per this interval. */
    static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);
    /** The original closes a link whose forward write has not completed in 5 s. */
    static final Duration STALL_LIMIT = Duration.ofSeconds(5);
    /** The original's mesh client gives up on a connection that has received nothing for 120 s (KeepAlive is 60 s). */
    static final Duration READ_IDLE = Duration.ofSeconds(120);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Per-link bound on bytes waiting to be written: above it, packets for that sibling are dropped and counted. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(1 << 20, 4 << 20);

    private final MeshProperties properties;
    private final DerperProperties core;
    private final DerpServer server;
    private final MeshKeySource meshKeys;
    private final MeshMetrics metrics;
    private final SiblingResolver injectedResolver;
    private final IntSupplier ownPort;
    private final List<SiblingTarget.SiblingEntry> entries;
    private final SiblingTls tls;

    private final Map<String, MeshLink> links = new LinkedHashMap<>();
    private EventLoopGroup group;
    private SiblingResolver resolver;
    private MeshLink.LinkEnvironment environment;
    private volatile DnsDiscovery discovery;
    private volatile boolean running;
    private final Transport transport;

    /**
     * @param injectedResolver a resolver to use instead of the built-in one, or null
     * @param ownPort          the port of this node's main listener, read at start
     */
    public RegionMesh(MeshProperties properties, DerperProperties core, DerpServer server, Optional<MeshKey> meshKey,
                      MeshMetrics metrics, SiblingResolver injectedResolver, IntSupplier ownPort) {
        this(properties, core, server, MeshKeySource.fixed(meshKey), metrics, injectedResolver, ownPort,
                Transport.fromSystemProperty());
    }

    /**
     * @param meshKeys  the key links present; on a rotation links re-dial (see {@link #meshKeyRotated})
     * @param transport what the links' event loops run on ({@code derper.transport})
     */
    public RegionMesh(MeshProperties properties, DerperProperties core, DerpServer server, MeshKeySource meshKeys,
                      MeshMetrics metrics, SiblingResolver injectedResolver, IntSupplier ownPort, Transport transport) {
        this.transport = transport;
        this.properties = properties;
        this.core = core;
        this.server = server;
        this.meshKeys = meshKeys;
        this.metrics = metrics;
        this.injectedResolver = injectedResolver;
        this.ownPort = ownPort;
        this.entries = properties.with().stream().filter(e -> !e.isBlank()).map(SiblingTarget.SiblingEntry::parse).toList();
        if (properties.dialPort() < 0 || properties.dialPort() > 65535) {
            throw new IllegalArgumentException("derper.mesh.dial-port must be 0-65535, got " + properties.dialPort());
        }
        Path ca = caFile();
        if (ca != null && !Files.isReadable(ca)) {
            throw new IllegalArgumentException("derper.mesh.ca-file: cannot read " + ca);
        }
        if (properties.discovery().equals("dns") && (properties.dnsRefresh().isNegative() || properties.dnsRefresh().isZero())) {
            throw new IllegalArgumentException("derper.mesh.dns-refresh must be positive, got " + properties.dnsRefresh());
        }
        // Siblings named by address (DNS discovery) cannot match a host name: their chain is still verified.
        tls = properties.tls() && enabled() ? new SiblingTls(ca) : null;
        metrics.linkStates(this::count, this::longestDownNanos);
        meshKeys.onRotation(this::meshKeyRotated);
    }

    /** True when this node has siblings to link to (static entries or DNS discovery) and the key to do it. */
    public boolean enabled() {
        return meshKeys.current().isPresent() && (!entries.isEmpty() || properties.discovery().equals("dns"));
    }

    @Override
    public synchronized void start() {
        running = true;
        if (!enabled()) {
            return;
        }
        int port = ownPort.getAsInt();
        int defaultPort = properties.dialPort() > 0 ? properties.dialPort() : port;
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        group = ClientEventLoops.newGroup(threads, "derp-mesh", transport);
        resolver = injectedResolver != null ? injectedResolver : new NettySiblingResolver(group.next());
        environment = new MeshLink.LinkEnvironment(server.identity().privateKey(), server.identity().publicKey(),
                () -> meshKeys.current().orElseThrow(), server.registry(), metrics, resolver, tls,
                properties.retryInterval(), FAILURE_LOG_INTERVAL, CONNECT_TIMEOUT, READ_IDLE, STALL_LIMIT, WATER_MARK);

        for (SiblingTarget.SiblingEntry entry : entries) {
            if (entry.namesSelf(core.hostname(), port)) {
                log.info("mesh: skipping {} (this node)", entry.raw());
                continue;
            }
            addLink(SiblingTarget.fromEntry(entry.raw(), properties.tls(), defaultPort));
        }
        if (properties.discovery().equals("dns")) {
            discovery = new DnsDiscovery(resolver, properties.dnsName(),
                    address -> SiblingTarget.fromAddress(address, properties.tls(), defaultPort, properties.dnsServerName()),
                    this::reconcileDiscovered);
            discovery.start(group.next(), properties.dnsRefresh());
            log.info("mesh: discovering siblings from {} every {}", properties.dnsName(), properties.dnsRefresh());
        }
    }

    /**
     * A new mesh key: links that are not up re-dial with it at once (their sibling may already have it). Links that
     * are up keep their connection while the replaced key is still accepted: a sibling that has not picked up the new
     * key yet would refuse it, and the link would stay down until it does. When that grace ends, every link still on
     * the old key re-dials. Without a grace time all links re-dial at once.
     */
    synchronized void meshKeyRotated(MeshKeySource.Rotation rotation) {
        if (!running || group == null) {
            return;
        }
        boolean all = rotation.previousAcceptedFor().isZero();
        for (MeshLink link : links.values()) {
            if (all || link.state() != MeshLink.State.UP) {
                link.redial();
            }
        }
        if (!all) {
            group.next().schedule(this::redialLinksOnReplacedKey, rotation.previousAcceptedFor().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void redialLinksOnReplacedKey() {
        Optional<MeshKey> current = meshKeys.current();
        if (!running || current.isEmpty()) {
            return;
        }
        for (MeshLink link : links.values()) {
            MeshKey used = link.dialledWith();
            if (used != null && !used.matchesHex(current.get().toHex())) {
                link.redial();
            }
        }
    }

    private Path caFile() {
        Path ca = properties.caFile();
        return ca == null || ca.toString().isBlank() ? null : ca;
    }

    private void addLink(SiblingTarget target) {
        if (links.containsKey(target.name())) {
            return;
        }
        MeshLink link = new MeshLink(target, environment, group.next());
        links.put(target.name(), link);
        log.info("mesh: linking to {} ({})", target.name(), target.url());
        link.start();
    }

    /** Applies one discovery answer: links to new addresses, stops links to addresses no longer listed. */
    synchronized void reconcileDiscovered(Set<SiblingTarget> targets) {
        if (!running || environment == null) {
            return;
        }
        Set<String> staticNames = new java.util.HashSet<>();
        for (SiblingTarget.SiblingEntry e : entries) {
            staticNames.add(e.raw());
        }
        Set<String> wanted = new java.util.HashSet<>();
        for (SiblingTarget t : targets) {
            wanted.add(t.name());
        }
        for (var it = links.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, MeshLink> e = it.next();
            if (!staticNames.contains(e.getKey()) && !wanted.contains(e.getKey())) {
                log.info("mesh: {} is no longer listed by {}; closing its link", e.getKey(), properties.dnsName());
                e.getValue().stop();
                it.remove();
            }
        }
        for (SiblingTarget t : targets) {
            addLink(t);
        }
    }

    @Override
    public void stop() {
        stop(() -> {
        });
    }

    @Override
    public void stop(Runnable callback) {
        closeLinks().whenComplete((v, e) -> callback.run());
    }

    /** The shutdown sequence's mesh step: the relay's clients are gone, so the links close now. */
    @Override
    public CompletableFuture<Void> relayDrained() {
        return closeLinks();
    }

    private CompletableFuture<Void> closeLinks() {
        List<MeshLink> all;
        EventLoopGroup g;
        synchronized (this) {
            running = false;
            if (discovery != null) {
                discovery.stop();
            }
            all = new ArrayList<>(links.values());
            links.clear();
            g = group;
            group = null;
        }
        CompletableFuture<?>[] stops = all.stream().map(MeshLink::stop).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(stops).orTimeout(5, TimeUnit.SECONDS).handle((v, e) -> {
            if (g != null) {
                if (resolver != null && resolver != injectedResolver) {
                    resolver.close();
                }
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            return null;
        });
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return LIFECYCLE_PHASE;
    }

    // ---------------------------------------------------------------- state for health, metrics, tests

    private synchronized Collection<MeshLink> linksSnapshot() {
        return new ArrayList<>(links.values());
    }

    private long longestDownNanos() {
        long now = System.nanoTime();
        long longest = 0;
        for (MeshLink l : linksSnapshot()) {
            longest = Math.max(longest, l.downForNanos(now));
        }
        return longest;
    }

    Duration retryInterval() {
        return properties.retryInterval();
    }

    MeshProperties.ReadinessRequirement readinessRequirement() {
        return properties.readinessRequiresLinks();
    }

    private int count(MeshLink.State s) {
        int n = 0;
        for (MeshLink l : linksSnapshot()) {
            if (l.state() == s) {
                n++;
            }
        }
        return n;
    }

    /** Links by name with their state; SELF links are the node's own entries. */
    List<MeshLink.Status> linkStatus() {
        return linksSnapshot().stream().map(MeshLink::status).toList();
    }

    Optional<MeshLink> link(String name) {
        synchronized (this) {
            return Optional.ofNullable(links.get(name));
        }
    }

    Optional<DnsDiscovery.Status> discoveryStatus() {
        DnsDiscovery d = discovery;
        return d == null ? Optional.empty() : Optional.of(d.status());
    }

    String mode() {
        return properties.discovery();
    }

    public int linksUp() {
        return count(MeshLink.State.UP);
    }

    public int linksDown() {
        return count(MeshLink.State.CONNECTING) + count(MeshLink.State.RETRY_WAIT);
    }
}
