package io.jderper.client;

import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The resolver's UDP channel follows the loop it is given: mesh discovery runs on the mesh links' loops and the
 * bootstrap-DNS and CONNECT resolvers on loops of {@code derper.transport}, so an io_uring or NIO loop must not get an
 * epoll channel (Netty refuses to register it). "localhost" comes from the hosts file: no query leaves the machine.
 */
class AsyncDnsResolverTransportTest {

    @Test
    void resolvesOnALoopOfEveryAvailableTransport() throws Exception {
        List<Transport> tried = new ArrayList<>();
        for (Transport transport : Transport.values()) {
            if (!transport.isAvailable()) {
                continue;
            }
            EventLoopGroup group = transport.newGroup(1, new DefaultThreadFactory("dns-test-" + transport.label(), true));
            try (AsyncDnsResolver dns = new AsyncDnsResolver(group.next(), Duration.ofSeconds(5))) {
                List<InetAddress> addresses = dns.lookupIp("localhost").get(10, TimeUnit.SECONDS);
                assertThat(addresses).as("localhost on %s", transport).isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
                tried.add(transport);
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
        // NIO is always there; on Linux CI epoll and io_uring are too, which is the case the fix is for.
        assertThat(tried).contains(Transport.NIO);
    }

    @Test
    void eachTransportNamesTheDatagramChannelOfItsOwnLoops() {
        for (Transport transport : Transport.values()) {
            if (transport.isAvailable()) {
                assertThat(transport.datagramChannelClass()).isEqualTo(transport.newDatagramChannel(null).getClass());
            }
        }
    }
}
