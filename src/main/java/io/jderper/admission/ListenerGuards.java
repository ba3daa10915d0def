package io.jderper.admission;

import io.jderper.config.LimitsProperties;
import io.jderper.http.DerpUpgradeHandler;
import io.jderper.http.MainListenerHook;
import io.jderper.server.DerpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import reactor.netty.NettyPipeline;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Guards every connection of the main listener, in order: the accept rate limiter ({@code -accept-connection-limit},
 * refused sockets are closed before a single byte is read or written, so before any TLS), the per-IP cap on
 * connections that are not DERP sessions, and the {@link HttpFrontGuard} behind the HTTP codec (request deadline,
 * DERP session cap). The original applies the accept limiter only in TLS mode; here it applies to the main listener
 * in every mode, which changes nothing by default because the default rate is unlimited.
 */
final class ListenerGuards implements MainListenerHook {
    private final TokenBucket acceptBucket;
    private final ConnectionSlots slots;
    private final DerpServer derpServer;
    private final long requestTimeoutNanos;

    final LongAdder accepted = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder maxConnectionsRejected = new LongAdder();
    final LongAdder perIpRejected = new LongAdder();
    final LongAdder requestTimeouts = new LongAdder();

    ListenerGuards(LimitsProperties limits, DerpServer derpServer, MeterRegistry registry) {
        this.acceptBucket = new TokenBucket(limits.acceptConnectionLimit(), limits.acceptConnectionBurst(), System::nanoTime);
        this.slots = new ConnectionSlots(limits.maxConnections(), limits.maxHttpConnectionsPerIp());
        this.derpServer = derpServer;
        this.requestTimeoutNanos = limits.httpRequestTimeout().toNanos();
        counter(registry, "tls_listener_accepted_connections", "connections let through by the accept limiter", accepted);
        counter(registry, "tls_listener_rejected_connections", "connections closed by the accept limiter", rejected);
        FunctionCounter.builder("derp_limit_rejected_connections", maxConnectionsRejected, LongAdder::doubleValue)
                .tag("limit", "max_connections").description("connections refused by a connection cap").register(registry);
        FunctionCounter.builder("derp_limit_rejected_connections", perIpRejected, LongAdder::doubleValue)
                .tag("limit", "per_ip").description("connections refused by a connection cap").register(registry);
        counter(registry, "derp_http_request_timeouts",
                "connections closed for not completing a TLS handshake and HTTP request in time", requestTimeouts);
        Gauge.builder("derp_limit_derp_connections", slots, ConnectionSlots::derpInUse)
                .description("DERP sessions counted against max-connections").register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String help, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(help).register(registry);
    }

    ConnectionSlots slots() {
        return slots;
    }

    @Override
    public void channelInit(Channel channel) {
        if (!acceptBucket.tryTake()) {
            rejected.increment();
            channel.close();
            return;
        }
        accepted.increment();
        IpLease lease = null;
        if (slots.perIpLimited() && channel.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
            InetAddress ip = remote.getAddress();
            if (!slots.tryAcquireIp(ip)) {
                perIpRejected.increment();
                channel.close();
                return;
            }
            IpLease l = new IpLease(slots, ip);
            channel.closeFuture().addListener(f -> l.release());
            lease = l;
        }
        if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
            channel.pipeline().addAfter(NettyPipeline.HttpCodec, HttpFrontGuard.NAME,
                    new HttpFrontGuard(this, lease, requestTimeoutNanos));
        }
    }

    /** The same test DerpUpgradeHandler applies, so a slot is taken exactly when an upgrade will happen. */
    boolean isDerpUpgrade(HttpRequest request) {
        if (!DerpUpgradeHandler.isDerpPath(request.uri()) || !derpServer.acceptingConnections()) {
            return false;
        }
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "").toLowerCase(Locale.ROOT);
        return upgrade.equals("derp") || upgrade.equals("websocket");
    }

    /** A per-IP slot, given back once: at the DERP upgrade or when the connection closes. */
    static final class IpLease {
        private final ConnectionSlots slots;
        private final InetAddress ip;
        private final AtomicBoolean released = new AtomicBoolean();

        IpLease(ConnectionSlots slots, InetAddress ip) {
            this.slots = slots;
            this.ip = ip;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                slots.releaseIp(ip);
            }
        }
    }
}
