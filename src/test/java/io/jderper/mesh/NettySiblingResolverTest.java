package io.jderper.mesh;

import io.jderper.client.ClientEventLoops;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The built-in resolver answers from the hosts file without blocking (no network DNS needed for this name). */
class NettySiblingResolverTest {

    @Test
    void resolvesFromTheHostsFile() throws Exception {
        EventLoopGroup group = ClientEventLoops.newGroup(1, "resolver-test");
        try (NettySiblingResolver resolver = new NettySiblingResolver(group.next())) {
            List<InetAddress> addresses = resolver.resolve("localhost").get(10, TimeUnit.SECONDS);
            assertThat(addresses).extracting(InetAddress::getHostAddress).contains("127.0.0.1");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
