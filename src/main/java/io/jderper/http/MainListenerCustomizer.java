package io.jderper.http;

import io.jderper.config.DerperProperties;
import io.jderper.config.LimitsProperties;
import io.jderper.config.ListenAddress;
import io.jderper.pipeline.PipelineNames;
import io.jderper.server.DerpServer;
import io.jderper.client.Transport;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.uring.IoUringChannelOption;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import reactor.netty.NettyPipeline;
import reactor.netty.http.HttpProtocol;

/**
 * Binds Spring's embedded Reactor Netty server to {@code derper.listen} and plugs the DERP upgrade handler in right
 * behind the HTTP codec. Runs after Boot's own customizers so {@code derper.listen} wins over {@code server.port}.
 */
@Component
public class MainListenerCustomizer implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {
    static final WriteBufferWaterMark IO_URING_WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);
    private final DerperProperties core;
    private final LimitsProperties limits;
    private final DerpServer derpServer;
    private final ObjectProvider<MainListenerHook> hooks;
    private final Transport transport;

    public MainListenerCustomizer(DerperProperties core, LimitsProperties limits, DerpServer derpServer,
                                  ObjectProvider<MainListenerHook> hooks, Transport transport) {
        this.transport = transport;
        this.core = core;
        this.limits = limits;
        this.derpServer = derpServer;
        this.hooks = hooks;
    }

    @Override
    public void customize(NettyReactiveWebServerFactory factory) {
        ListenAddress listen = core.listenAddress();
        factory.setPort(listen.port());
        factory.setAddress(listen.allInterfaces() ? null : listen.toSocketAddress().getAddress());
        java.util.List<MainListenerHook> guards = hooks.orderedStream().toList();
        factory.addServerCustomizers(server -> {
            var s = server.protocol(HttpProtocol.HTTP11)
                    .doOnChannelInit((observer, channel, remote) -> {
                        if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                            channel.pipeline().addAfter(NettyPipeline.HttpCodec, PipelineNames.UPGRADE,
                                    new DerpUpgradeHandler(derpServer));
                        }
                        guards.forEach(h -> h.channelInit(channel));
                        if (channel.isOpen() && channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
                            channel.pipeline().addAfter(NettyPipeline.HttpCodec, PipelineNames.RESPONSE_HEADERS, new GoResponseHeaders());
                        }
                    })
                    .childOption(ChannelOption.SO_KEEPALIVE, true);
            int userTimeout = (int) limits.tcpUserTimeout().toMillis();
            int keepalive = (int) Math.max(1, limits.tcpKeepaliveTime().toSeconds());
            if (transport == Transport.EPOLL) {
                s = s.childOption(EpollChannelOption.TCP_USER_TIMEOUT, userTimeout)
                        .childOption(EpollChannelOption.TCP_KEEPIDLE, keepalive)
                        .childOption(EpollChannelOption.TCP_KEEPINTVL, keepalive);
            } else if (transport == Transport.IO_URING) {
                // A write completes only on a later loop turn, so the outbound buffer holds what epoll would already
                // have handed to the kernel: with the default 64 KiB high-water mark a burst after a scheduling stall
                // made receivers unwritable and lost packets at the queue head (docs/performance.md).
                s = s.childOption(IoUringChannelOption.TCP_USER_TIMEOUT, userTimeout)
                        .childOption(IoUringChannelOption.TCP_KEEPIDLE, keepalive)
                        .childOption(IoUringChannelOption.TCP_KEEPINTVL, keepalive)
                        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, IO_URING_WATER_MARK);
            }
            return s;
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
