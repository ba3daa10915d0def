package io.jderper.client;

import io.jderper.config.DerperProperties;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** derper.transport: binding, validation, auto's fallback order, and groups that name their own channel class. */
class TransportTest {

    private static DerperProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("derper", DerperProperties.class);
    }

    @Test
    void defaultsToAutoWhichIsTheFirstAvailableInOrder() {
        DerperProperties p = bind(Map.of());
        assertThat(p.transport()).isEqualTo("auto");
        Transport expected = Arrays.stream(Transport.AUTO_ORDER).filter(Transport::isAvailable).findFirst().orElseThrow();
        assertThat(p.resolveTransport()).isEqualTo(expected);
        assertThat(Transport.AUTO_ORDER).as("NIO is the last resort, available everywhere").endsWith(Transport.NIO);
        assertThat(Transport.NIO.isAvailable()).isTrue();
        assertThat(Transport.NIO.unavailabilityCause()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void eachNamedTransportBindsAndResolvesToItselfWhereAvailable(Transport t) {
        assumeTrue(t.isAvailable(), () -> t + " unavailable here: " + t.unavailabilityCause());
        DerperProperties p = bind(Map.of("derper.transport", t.label()));
        assertThat(p.transport()).isEqualTo(t.label());
        assertThat(p.resolveTransport()).isSameAs(t);
        assertThat(Transport.select(t.label().toUpperCase(), Transport.PROPERTY)).isSameAs(t);
    }

    @Test
    void anUnknownNameFailsNamingThePropertyAndTheChoices() {
        assertThatThrownBy(() -> bind(Map.of("derper.transport", "kqueue")))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessage("derper.transport must be auto, io_uring, epoll or nio; got 'kqueue'");
        assertThatThrownBy(() -> Transport.select("uring", "derper.transport"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("derper.transport must be auto, io_uring, epoll or nio");
    }

    @Test
    void theLabelsAreThePropertysSpelling() {
        assertThat(Arrays.stream(Transport.values()).map(Transport::label)).containsExactly("io_uring", "epoll", "nio");
        assertThat(Transport.IO_URING).hasToString("io_uring");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aGroupNamesItsTransportAndSoItsChannelClass(Transport t) throws Exception {
        assumeTrue(t.isAvailable(), () -> t + " unavailable here: " + t.unavailabilityCause());
        EventLoopGroup group = t.newGroup(1, new DefaultThreadFactory("transport-test", true));
        try {
            assertThat(Transport.of(group)).isSameAs(t);
            assertThat(Transport.of(group.next())).as("one loop of the group").isSameAs(t);
            assertThat(ClientEventLoops.channelClass(group)).isEqualTo(t.socketChannelClass());
            assertThat(t.newDatagramChannel(null)).isNotNull().satisfies(ch -> ch.unsafe().closeForcibly());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
