package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import io.jderper.pipeline.PipelineNames;
import io.jderper.protocol.FrameDecoder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.channel.ChannelPipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DERP relay: owns the key table, metrics and the packet path, and takes over connections the HTTP layer has
 * upgraded. Its graceful shutdown ({@link #drain()}: refuse new sessions, Restarting frames, closes spread over the
 * drain period) is one step of {@link ShutdownSequence}; its own lifecycle only opens the relay before the listeners
 * bind and, after they have stopped, closes whatever the sequence did not.
 */
public final class DerpServer implements SmartLifecycle {
    /**
     * Below the web server's start/stop phase ({@code DEFAULT_PHASE - 2048}): the relay accepts before the DERP port
     * answers anything, so {@code /derp/probe} never says 200 while upgrades would get 503.
     */
    public static final int LIFECYCLE_PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(DerpServer.class);

    private final ServerIdentity identity;
    private final RelayProperties relayProperties;
    private final MeshKeySource meshKeys;
    private final ClientAdmission admission;
    private final DerpMetrics metrics;
    private final ClientRegistry registry;
    private final Relay relay;
    private final RelayContext relayContext;
    private final Timer handshakeTimer;
    private final MeterRegistry meterRegistry;
    private final ConcurrentHashMap<String, Counter> deniedByReason = new ConcurrentHashMap<>();
    private final HandshakeCrypto handshakeCrypto;
    private final ClientErrors clientErrors;
    private volatile boolean running;
    private volatile boolean accepting = true;

    public DerpServer(ServerIdentity identity, RelayProperties relayProperties, Optional<MeshKey> meshKey,
                      ClientAdmission admission, DerpMetrics metrics, MeterRegistry meterRegistry) {
        this(identity, relayProperties, meshKey, admission, metrics, meterRegistry,
                HandshakeCrypto.pooled(HandshakeCrypto.defaultThreads()));
    }

    public DerpServer(ServerIdentity identity, RelayProperties relayProperties, Optional<MeshKey> meshKey,
                      ClientAdmission admission, DerpMetrics metrics, MeterRegistry meterRegistry,
                      HandshakeCrypto handshakeCrypto) {
        this(identity, relayProperties, MeshKeySource.fixed(meshKey), admission, metrics, meterRegistry, handshakeCrypto,
                new ClientErrors(meterRegistry, ClientErrors.DEFAULT_LOG_INTERVAL));
    }

    public DerpServer(ServerIdentity identity, RelayProperties relayProperties, MeshKeySource meshKeys,
                      ClientAdmission admission, DerpMetrics metrics, MeterRegistry meterRegistry,
                      HandshakeCrypto handshakeCrypto, ClientErrors clientErrors) {
        this.handshakeCrypto = handshakeCrypto;
        this.clientErrors = clientErrors;
        this.identity = identity;
        this.relayProperties = relayProperties;
        this.meshKeys = meshKeys;
        this.admission = admission;
        this.metrics = metrics;
        this.meterRegistry = meterRegistry;
        this.registry = new ClientRegistry(metrics);
        this.relay = new Relay(registry, metrics);
        DistributionSummary batches = DistributionSummary.builder("derp_buffered_write_frames")
                .description("frames written per flush")
                .serviceLevelObjectives(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 50, 100)
                .register(meterRegistry);
        DistributionSummary queueDepths = DistributionSummary.builder("derp_send_queue_depth")
                .description("packets waiting in a connection's send queues when its writer runs (sampled once per drain)")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
                .register(meterRegistry);
        this.relayContext = new RelayContext(registry, metrics, relayProperties, batches, queueDepths);
        FunctionCounter.builder("derp_handshake_crypto_on_loop", handshakeCrypto,
                        c -> (double) c.ranOnLoop())
                .description("ClientInfo key exchanges run on an event loop because the handshake pool's queue was full")
                .register(meterRegistry);
        FunctionCounter.builder("derp_handshake_key_exchanges", handshakeCrypto, c -> (double) c.keyExchanges())
                .description("X25519 key exchanges for ClientInfo; a reconnecting key whose box is kept needs none")
                .register(meterRegistry);
        this.handshakeTimer = Timer.builder("derp_handshake_duration")
                .description("time from the upgrade to ServerInfo")
                .publishPercentileHistogram()
                .register(meterRegistry);
    }

    public ServerIdentity identity() {
        return identity;
    }

    public DerpMetrics metrics() {
        return metrics;
    }

    /** Counts and rate-limits the logging of errors clients cause, on every transport of the main listener. */
    public ClientErrors clientErrors() {
        return clientErrors;
    }

    public ClientRegistry registry() {
        return registry;
    }

    /** The mesh key in use now (it may rotate while the server runs). */
    public Optional<MeshKey> meshKey() {
        return meshKeys.current();
    }

    /** Decides which ClientInfo mesh keys make a mesh peer; read at every handshake. */
    public MeshKeySource meshKeySource() {
        return meshKeys;
    }

    public RelayProperties relayProperties() {
        return relayProperties;
    }

    ClientAdmission admission() {
        return admission;
    }

    Relay relay() {
        return relay;
    }

    RelayContext relayContext() {
        return relayContext;
    }

    HandshakeCrypto handshakeCrypto() {
        return handshakeCrypto;
    }

    void handshakeCompleted(long nanos) {
        handshakeTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    void admissionDenied(ClientAdmission.Decision decision) {
        deniedByReason.computeIfAbsent(decision.reason(), r -> Counter.builder("derp_admission_denied")
                .description("clients refused by admission").tag("reason", r).register(meterRegistry)).increment();
    }

    /** False when the relay is disabled ({@code -derp=false}: 404) or once shutdown began (503). */
    public boolean acceptingConnections() {
        return accepting && running && relayProperties.enabled();
    }

    /**
     * Takes over an upgraded connection: adds the frame decoder and the connection handler after {@code afterHandler}.
     * The handler writes ServerKey as soon as it is added. Must run on the channel's event loop.
     */
    public void install(ChannelPipeline pipeline, String afterHandler, ConnectionInfo info) {
        metrics.accepts.increment();
        if (info.websocket()) {
            metrics.websocketAccepts.increment();
        }
        FrameDecoder decoder = new FrameDecoder(FrameDecoder.Role.SERVER);
        pipeline.addAfter(afterHandler, PipelineNames.DECODER, decoder);
        pipeline.addAfter(PipelineNames.DECODER, PipelineNames.CONNECTION_HANDLER, new DerpConnectionHandler(this, info, decoder));
        // Reactor Netty pauses reading while it serves a request; from here on the relay reads on its own.
        pipeline.channel().config().setAutoRead(true);
    }

    @Override
    public void start() {
        running = true;
        accepting = true;
    }

    /**
     * The relay's step of the shutdown sequence: refuses new sessions (503), sends every client a Restarting frame,
     * then closes the clients one by one, evenly over {@code derper.relay.drain-period} (the first at once, the last
     * at the end of the period), so they do not all reconnect to the next node at the same moment. Siblings' mesh
     * links are not among them: they carry the traffic of the clients still here, and close afterwards
     * ({@link #closeMeshPeers()}). Completes when the last client has closed.
     */
    public CompletableFuture<Void> drain() {
        accepting = false;
        List<ClientConnection> clients = registry.connections().stream().filter(c -> !c.isMeshPeer()).toList();
        CompletableFuture<Void> drained = new CompletableFuture<>();
        if (clients.isEmpty()) {
            drained.complete(null);
            return drained;
        }
        long reconnectIn = relayProperties.restartReconnectIn().toMillis();
        long tryFor = relayProperties.restartTryFor().toMillis();
        Duration drain = relayProperties.drainPeriod();
        log.info("shutting down: sending Restarting to {} connections, closing them over {}", clients.size(), drain);
        AtomicInteger remaining = new AtomicInteger(clients.size());
        long step = clients.size() > 1 ? drain.toNanos() / (clients.size() - 1) : 0;
        for (int i = 0; i < clients.size(); i++) {
            ClientConnection c = clients.get(i);
            c.sendRestarting(reconnectIn, tryFor);
            c.scheduleClose(step * i, () -> {
                if (remaining.decrementAndGet() == 0) {
                    drained.complete(null);
                }
            });
        }
        return drained;
    }

    /** The shutdown sequence's mesh step on this side: closes the siblings' links into this node. */
    public CompletableFuture<Void> closeMeshPeers() {
        List<ClientConnection> siblings = registry.connections().stream().filter(ClientConnection::isMeshPeer).toList();
        CompletableFuture<?>[] closes = siblings.stream().map(c -> {
            CompletableFuture<Void> closed = new CompletableFuture<>();
            c.scheduleClose(0, () -> closed.complete(null));
            return closed;
        }).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(closes);
    }

    /**
     * Runs after the web servers have stopped. The shutdown sequence has drained the relay by then; a connection
     * still open here (its handshake finished during the drain, or the sequence ran out of time) is closed now.
     */
    @Override
    public void stop() {
        accepting = false;
        running = false;
        for (ClientConnection c : registry.connections()) {
            c.close();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return LIFECYCLE_PHASE;
    }
}
