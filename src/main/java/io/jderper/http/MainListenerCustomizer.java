package io.jderper.http;

import io.jderper.config.DerperProperties;
import io.jderper.config.LimitsProperties;
import io.jderper.config.ListenAddress;
import io.jderper.pipeline.PipelineNames;
import io.jderper.server.DerpServer;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.ChannelOption;
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
    private final DerperProperties core;
    private final LimitsProperties limits;
    private final DerpServer derpServer;
    private final ObjectProvider<MainListenerHook> hooks;

    public MainListenerCustomizer(DerperProperties core, LimitsProperties limits, DerpServer derpServer,
                                  ObjectProvider<MainListenerHook> hooks) {
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
            if (Epoll.isAvailable()) {
                s = s.childOption(EpollChannelOption.TCP_USER_TIMEOUT, (int) limits.tcpUserTimeout().toMillis())
                        .childOption(EpollChannelOption.TCP_KEEPIDLE, (int) Math.max(1, limits.tcpKeepaliveTime().toSeconds()))
                        .childOption(EpollChannelOption.TCP_KEEPINTVL, (int) Math.max(1, limits.tcpKeepaliveTime().toSeconds()));
            }
            return s;
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
