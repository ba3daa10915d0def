package io.jderper.stun;

import io.jderper.client.Transport;
import io.jderper.config.DerperProperties;
import io.jderper.config.ListenAddress;
import io.jderper.config.StunProperties;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * UDP STUN listener on {@code derper.stun.port}, bound to the host of the main listener.
 *
 * <p>Starts before the HTTP listeners, as the original does, and fails startup when the port cannot be
 * bound. If the socket dies later it is re-bound every second, so a transient fault does not silently
 * end STUN service; {@link #isRunning()} reports false meanwhile.
 */
@Component
public class StunServer implements SmartLifecycle, DisposableBean {

    /** Before the web server (which starts at {@code DEFAULT_PHASE - 2048}), and stopped after it. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(StunServer.class);
    private static final int MAX_DATAGRAM = 2048;

    private final StunProperties properties;
    private final ListenAddress listen;
    private final StunMetrics metrics;
    private final Transport transport;

    private Supplier<ChannelHandler> inspector;
    private EventLoopGroup group;
    private volatile Channel channel;
    private volatile InetSocketAddress localAddress;
    private volatile boolean started;

    /** On the best transport available ({@code derper.transport=auto}). */
    public StunServer(StunProperties properties, DerperProperties derper, MeterRegistry registry) {
        this(properties, derper, registry, Transport.select("auto", Transport.PROPERTY));
    }

    /** On {@code transport}, the one {@code derper.transport} chose; tests pass each available one. */
    @Autowired
    public StunServer(StunProperties properties, DerperProperties derper, MeterRegistry registry, Transport transport) {
        this.transport = transport;
        this.properties = properties;
        this.listen = derper.listenAddress();
        this.metrics = new StunMetrics(registry);
    }

    @Override
    public synchronized void start() {
        if (started || !properties.enabled()) {
            return;
        }
        InetSocketAddress bindAddress = listen.toSocketAddress(properties.port());
        EventLoopGroup loop = transport.newGroup(1, new DefaultThreadFactory("stun", true));
        Bootstrap bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(() -> newChannel(transport, bindAddress))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        if (inspector != null) {
                            ch.pipeline().addLast(inspector.get());
                        }
                        ch.pipeline().addLast(new StunHandler(properties.genericClients(), metrics));
                    }
                });
        Channel bound;
        try {
            bound = bootstrap.bind(bindAddress).syncUninterruptibly().channel();
        } catch (Exception e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("derper.stun.port: cannot listen for STUN on UDP " + describe(bindAddress)
                    + ": " + e.getMessage() + " (set derper.stun.port to a free port or derper.stun.enabled=false)", e);
        }
        group = loop;
        started = true;
        adopt(bound, bootstrap);
        log.info("STUN server listening on UDP {} ({}{})", describe(localAddress), transport.label(),
                properties.genericClients() ? ", generic clients answered" : "");
    }

    private void adopt(Channel bound, Bootstrap bootstrap) {
        channel = bound;
        localAddress = (InetSocketAddress) bound.localAddress();
        // Re-bind to the port actually obtained, so a port-0 test server keeps its address too.
        InetSocketAddress rebindAddress = localAddress;
        bound.closeFuture().addListener(f -> {
            if (started) {
                metrics.readError.increment();
                log.error("STUN socket on {} closed unexpectedly; re-binding", describe(rebindAddress));
                scheduleRebind(bootstrap, rebindAddress);
            }
        });
    }

    private void scheduleRebind(Bootstrap bootstrap, InetSocketAddress address) {
        EventLoopGroup loop = group;
        if (loop == null || loop.isShuttingDown()) {
            return;
        }
        loop.schedule(() -> {
            if (!started) {
                return;
            }
            bootstrap.bind(address).addListener(f -> {
                if (f.isSuccess()) {
                    Channel rebound = ((ChannelFuture) f).channel();
                    if (!started) {
                        rebound.close();
                        return;
                    }
                    adopt(rebound, bootstrap);
                    if (!started) {
                        // stop() ran meanwhile and may have missed this channel
                        rebound.close();
                        return;
                    }
                    log.info("STUN server listening again on UDP {}", describe(address));
                } else {
                    log.warn("STUN re-bind on {} failed: {}", describe(address), f.cause().toString());
                    scheduleRebind(bootstrap, address);
                }
            });
        }, 1, TimeUnit.SECONDS);
    }

    private static DatagramChannel newChannel(Transport transport, InetSocketAddress bindAddress) {
        java.net.InetAddress host = bindAddress.getAddress();
        SocketProtocolFamily family;
        if (host instanceof Inet4Address) {
            family = SocketProtocolFamily.INET;
        } else if (host.isAnyLocalAddress()) {
            family = null; // the platform default: dual-stack where IPv6 exists
        } else {
            family = SocketProtocolFamily.INET6;
        }
        return transport.newDatagramChannel(family);
    }

    private static String describe(InetSocketAddress address) {
        return address == null ? "(none)" : NetUtil.toSocketAddressString(address);
    }

    @Override
    public synchronized void stop() {
        started = false;
        Channel current = channel;
        channel = null;
        localAddress = null;
        if (current != null) {
            current.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        EventLoopGroup loop = group;
        group = null;
        if (loop != null) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void destroy() {
        stop();
    }

    /** True while the socket is bound and serving. */
    @Override
    public boolean isRunning() {
        Channel current = channel;
        return started && current != null && current.isActive();
    }

    /** Whether STUN is configured on ({@code derper.stun.enabled}); false means {@link #start()} does nothing. */
    public boolean isEnabled() {
        return properties.enabled();
    }

    /** The bound UDP address, or null when not serving. */
    public InetSocketAddress localAddress() {
        return isRunning() ? localAddress : null;
    }

    /** Tests put a handler in front of the STUN handler to see datagrams as the socket delivers them. */
    void inspectWith(Supplier<ChannelHandler> handler) {
        this.inspector = handler;
    }

    Channel channelForTest() {
        return channel;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
