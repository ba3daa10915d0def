package io.jderper.http;

import io.jderper.client.Transport;
import io.jderper.config.DerperProperties;
import io.jderper.config.LimitsProperties;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.uring.IoUringChannelOption;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.http.server.HttpServer;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The socket options the main listener sets on accepted connections, per transport ({@code derper.transport}). */
class MainListenerTransportOptionsTest {

    private static Map<ChannelOption<?>, Object> childOptions(Transport transport) {
        LimitsProperties limits = new Binder(new MapConfigurationPropertySource(Map.of(
                "derper.limits.tcp-user-timeout", "15s", "derper.limits.tcp-keepalive-time", "30s")))
                .bindOrCreate("derper.limits", LimitsProperties.class);
        MainListenerCustomizer customizer = new MainListenerCustomizer(
                new DerperProperties(false, "127.0.0.1:0", "derp.test", null, "", transport.label()), limits, null,
                new DefaultListableBeanFactory().getBeanProvider(MainListenerHook.class), transport);
        NettyReactiveWebServerFactory factory = new NettyReactiveWebServerFactory();
        customizer.customize(factory);
        HttpServer server = HttpServer.create();
        for (NettyServerCustomizer c : factory.getServerCustomizers()) {
            server = c.apply(server);
        }
        return new java.util.HashMap<>(server.configuration().childOptions());
    }

    @Test
    void epollSetsTheKernelTimersAndKeepsNettysWaterMark() {
        Map<ChannelOption<?>, Object> options = childOptions(Transport.EPOLL);
        assertThat(options).containsEntry(ChannelOption.SO_KEEPALIVE, true)
                .containsEntry(EpollChannelOption.TCP_USER_TIMEOUT, 15_000)
                .containsEntry(EpollChannelOption.TCP_KEEPIDLE, 30)
                .containsEntry(EpollChannelOption.TCP_KEEPINTVL, 30)
                .doesNotContainKey(ChannelOption.WRITE_BUFFER_WATER_MARK);
    }

    @Test
    void ioUringSetsTheSameTimersAndRoomForWritesThatCompleteALoopTurnLater() {
        Map<ChannelOption<?>, Object> options = childOptions(Transport.IO_URING);
        assertThat(options).containsEntry(ChannelOption.SO_KEEPALIVE, true)
                .containsEntry(IoUringChannelOption.TCP_USER_TIMEOUT, 15_000)
                .containsEntry(IoUringChannelOption.TCP_KEEPIDLE, 30)
                .containsEntry(IoUringChannelOption.TCP_KEEPINTVL, 30)
                .containsEntry(ChannelOption.WRITE_BUFFER_WATER_MARK, MainListenerCustomizer.IO_URING_WATER_MARK);
        assertThat(MainListenerCustomizer.IO_URING_WATER_MARK.high()).isEqualTo(256 * 1024);
    }

    @Test
    void nioSetsOnlyKeepalive() {
        Map<ChannelOption<?>, Object> options = childOptions(Transport.NIO);
        assertThat(options).containsEntry(ChannelOption.SO_KEEPALIVE, true)
                .doesNotContainKeys(EpollChannelOption.TCP_USER_TIMEOUT, IoUringChannelOption.TCP_USER_TIMEOUT,
                        ChannelOption.WRITE_BUFFER_WATER_MARK);
    }
}
