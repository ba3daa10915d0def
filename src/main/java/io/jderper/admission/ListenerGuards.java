package io.jderper.admission;

import io.jderper.config.LimitsProperties;
import io.jderper.http.DerpUpgradeKind;
import io.jderper.http.MainListenerHook;
import io.jderper.pipeline.PipelineNames;
import io.jderper.server.ClientErrors;
import io.jderper.server.DerpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import reactor.netty.NettyPipeline;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Guards every connection of the main listener, in order: the accept rate limiter ({@code -accept-connection-limit},
 * refused sockets are closed before a single byte is read or written, so before any TLS), the caps on connections
 * that are not registered DERP sessions (in total, and per client IP), and the {@link HttpFrontGuard} behind the HTTP
 * codec (request and set-up deadlines, DERP session cap, malformed input). The original applies the accept limiter only in TLS mode; here it applies to the main listener
 * in every mode, which changes nothing by default because the default rate is unlimited.
 */
final class ListenerGuards implements MainListenerHook {
    /** Lets the relay's own handshake deadline, armed a little later, normally be the one that fires. */
    private static final Duration SETUP_GRACE = Duration.ofSeconds(1);
    private final TokenBucket acceptBucket;
    private final ConnectionSlots slots;
    private final DerpServer derpServer;
    private final long requestTimeoutNanos;
    private final long setupTimeoutNanos;

    final LongAdder accepted = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder maxConnectionsRejected = new LongAdder();
    final LongAdder perIpRejected = new LongAdder();
    final LongAdder pendingRejected = new LongAdder();
    final LongAdder requestTimeouts = new LongAdder();
    final LongAdder setupTimeouts = new LongAdder();

    ListenerGuards(LimitsProperties limits, DerpServer derpServer, MeterRegistry registry) {
        this.acceptBucket = new TokenBucket(limits.acceptConnectionLimit(), limits.acceptConnectionBurst(), System::nanoTime);
        this.slots = new ConnectionSlots(limits.maxConnections(), limits.maxHttpConnectionsPerIp(),
                limits.maxPendingConnections());
        this.derpServer = derpServer;
        this.requestTimeoutNanos = limits.httpRequestTimeout().toNanos();
        this.setupTimeoutNanos = derpServer.relayProperties().handshakeTimeout().plus(SETUP_GRACE).toNanos();
        counter(registry, "tls_listener_accepted_connections", "connections let through by the accept limiter", accepted);
        counter(registry, "tls_listener_rejected_connections", "connections closed by the accept limiter", rejected);
        FunctionCounter.builder("derp_limit_rejected_connections", maxConnectionsRejected, LongAdder::doubleValue)
                .tag("limit", "max_connections").description("connections refused by a connection cap").register(registry);
        FunctionCounter.builder("derp_limit_rejected_connections", perIpRejected, LongAdder::doubleValue)
                .tag("limit", "per_ip").description("connections refused by a connection cap").register(registry);
        FunctionCounter.builder("derp_limit_rejected_connections", pendingRejected, LongAdder::doubleValue)
                .tag("limit", "max_pending").description("connections refused by a connection cap").register(registry);
        counter(registry, "derp_http_request_timeouts",
                "connections closed for not completing a TLS handshake and HTTP request in time", requestTimeouts);
        counter(registry, "derp_session_setup_timeouts",
                "upgraded connections closed for not registering a DERP session within the handshake timeout", setupTimeouts);
        Gauge.builder("derp_limit_pending_connections", slots, ConnectionSlots::pendingInUse)
                .description("connections not (yet) registered DERP sessions: TLS and WebSocket handshakes, HTTP requests, "
                        + "keep-alives, upgrades before ServerInfo").register(registry);
        Gauge.builder("derp_limit_derp_connections", slots, ConnectionSlots::derpInUse)
                .description("DERP sessions counted against max-connections").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String help, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(help).register(registry);
    }

    ConnectionSlots slots() {
        return slots;
    }

    ClientErrors clientErrors() {
        return derpServer.clientErrors();
    }

    @Override
    public void channelInit(Channel channel) {
        if (!acceptBucket.tryTake()) {
            rejected.increment();
            channel.close();
            return;
        }
        accepted.increment();
        InetAddress ip = slots.perIpLimited() && channel.remoteAddress() instanceof InetSocketAddress remote
                ? remote.getAddress() : null;
        if (ip != null && !slots.tryAcquireIp(ip)) {
            perIpRejected.increment();
            channel.close();
            return;
        }
        if (!slots.tryAcquirePending()) {
            if (ip != null) {
                slots.releaseIp(ip);
            }
            pendingRejected.increment();
            channel.close();
            return;
        }
        PendingLease lease = new PendingLease(slots, ip);
        channel.closeFuture().addListener(f -> lease.release());
        if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
            channel.pipeline().addAfter(NettyPipeline.HttpCodec, PipelineNames.FRONT_GUARD,
                    new HttpFrontGuard(this, lease, requestTimeoutNanos, setupTimeoutNanos));
        }
    }

    /** The same test DerpUpgradeHandler applies, so a slot is taken exactly when an upgrade will happen. */
    boolean isDerpUpgrade(HttpRequest request) {
        return derpServer.acceptingConnections() && DerpUpgradeKind.classify(request).isUpgrade();
    }

    /** A connection's set-up slots (the total and, when limited, its IP's), given back once: at registration or close. */
    static final class PendingLease {
        private final ConnectionSlots slots;
        private final InetAddress ip;
        private final AtomicBoolean released = new AtomicBoolean();

        PendingLease(ConnectionSlots slots, InetAddress ip) {
            this.slots = slots;
            this.ip = ip;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                slots.releasePending();
                if (ip != null) {
                    slots.releaseIp(ip);
                }
            }
        }
    }
}
