package io.jderper.server;

import io.jderper.admission.ClientAdmission;
import io.jderper.config.RelayProperties;
import io.jderper.key.MeshKey;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The DERP relay: owns the key table, metrics and the packet path, and takes over connections the HTTP layer has
 * upgraded. As a lifecycle bean it stops before the web server: it refuses new DERP sessions, sends every client a
 * Restarting frame, then closes connections spread over the drain period so the fleet does not reconnect at once.
 */
public final class DerpServer implements SmartLifecycle {
    /** Stops before Spring's web server (graceful shutdown and stop phases sit below this one). */
    public static final int LIFECYCLE_PHASE = Integer.MAX_VALUE - 100;
    public static final String DECODER_NAME = "derp.decoder";
    public static final String HANDLER_NAME = "derp.handler";

    private static final Logger log = LoggerFactory.getLogger(DerpServer.class);

    private final ServerIdentity identity;
    private final RelayProperties relayProperties;
    private final Optional<MeshKey> meshKey;
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
        this(identity, relayProperties, meshKey, admission, metrics, meterRegistry, handshakeCrypto,
                new ClientErrors(meterRegistry, ClientErrors.DEFAULT_LOG_INTERVAL));
    }

    public DerpServer(ServerIdentity identity, RelayProperties relayProperties, Optional<MeshKey> meshKey,
                      ClientAdmission admission, DerpMetrics metrics, MeterRegistry meterRegistry,
                      HandshakeCrypto handshakeCrypto, ClientErrors clientErrors) {
        this.handshakeCrypto = handshakeCrypto;
        this.clientErrors = clientErrors;
        this.identity = identity;
        this.relayProperties = relayProperties;
        this.meshKey = meshKey;
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

    public Optional<MeshKey> meshKey() {
        return meshKey;
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
        pipeline.addAfter(afterHandler, DECODER_NAME, decoder);
        pipeline.addAfter(DECODER_NAME, HANDLER_NAME, new DerpConnectionHandler(this, info, decoder));
        // Reactor Netty pauses reading while it serves a request; from here on the relay reads on its own.
        pipeline.channel().config().setAutoRead(true);
    }

    @Override
    public void start() {
        running = true;
        accepting = true;
    }

    @Override
    public void stop() {
        stop(() -> {
        });
    }

    @Override
    public void stop(Runnable callback) {
        accepting = false;
        List<ClientConnection> all = List.copyOf(registry.connections());
        running = false;
        if (all.isEmpty()) {
            callback.run();
            return;
        }
        long reconnectIn = relayProperties.restartReconnectIn().toMillis();
        long tryFor = relayProperties.restartTryFor().toMillis();
        Duration drain = relayProperties.drainPeriod();
        log.info("shutting down: sending Restarting to {} connections, closing them over {}", all.size(), drain);
        AtomicInteger remaining = new AtomicInteger(all.size());
        long step = all.size() > 1 ? drain.toNanos() / (all.size() - 1) : 0;
        for (int i = 0; i < all.size(); i++) {
            ClientConnection c = all.get(i);
            c.sendRestarting(reconnectIn, tryFor);
            c.scheduleClose(step * i, () -> {
                if (remaining.decrementAndGet() == 0) {
                    callback.run();
                }
            });
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
