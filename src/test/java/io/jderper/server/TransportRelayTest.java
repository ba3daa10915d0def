package io.jderper.server;

import io.jderper.JderperApplication;
import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.Transport;
import io.jderper.key.NodePrivateKey;
import io.jderper.protocol.Frame;
import io.jderper.stun.StunServer;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A whole server on each transport this machine offers ({@code derper.transport}), relaying between clients that run
 * on the same transport: the main listener's loops, STUN and the DERP client all follow the property.
 */
class TransportRelayTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aServerOnEachAvailableTransportRelaysPackets(Transport transport, @TempDir Path dir) throws Exception {
        assumeTrue(transport.isAvailable(), () -> transport + " unavailable here: " + transport.unavailabilityCause());
        EventLoopGroup clientLoops = transport.newGroup(1, new DefaultThreadFactory("relay-test-client", true));
        try (ConfigurableApplicationContext context = JderperApplication.start("-a", "127.0.0.1:0", "-http-port", "-1",
                "-stun-port", "0", "-c", dir.resolve("derper.json").toString(), "-hostname", "derp.transport.test",
                "--management.server.port=0", "--management.server.address=127.0.0.1",
                "--derper.relay.drain-period=0s", "--derper.relay.tcp-rtt-interval=100ms",
                "--derper.transport=" + transport.label())) {
            assertThat(context.getBean(Transport.class)).isSameAs(transport);
            EventLoopGroup serverLoops = context.getBean(ReactorResourceFactory.class).getLoopResources().onServer(true);
            assertThat(Transport.of(serverLoops)).isSameAs(transport);
            assertThat(context.getBean(StunServer.class).localAddress()).isNotNull();

            URI url = URI.create("http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + "/derp");
            BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
            DerpClient receiver = DerpClient.connect(url, NodePrivateKey.generate(), DerpClientOptions.defaults(),
                    (c, f) -> {
                        if (f instanceof Frame.RecvPacket p) {
                            received.add(ByteBufUtil.getBytes(p.packet()));
                        }
                    }, clientLoops).get(10, TimeUnit.SECONDS);
            DerpClient sender = DerpClient.connect(url, NodePrivateKey.generate(), DerpClientOptions.defaults(),
                    (c, f) -> { }, clientLoops).get(10, TimeUnit.SECONDS);
            assertThat(Transport.of(sender.channel().eventLoop())).isSameAs(transport);
            assertThat(sender.channel()).isInstanceOf(transport.socketChannelClass());

            // One packet in flight at a time: a burst deeper than the send queue would lose its head, by design.
            for (int i = 0; i < 100; i++) {
                byte[] packet = new byte[1 + i * 13];
                for (int j = 0; j < packet.length; j++) {
                    packet[j] = (byte) (i + j);
                }
                sender.send(receiver.publicKey(), packet);
                byte[] got = received.poll(10, TimeUnit.SECONDS);
                assertThat(got).as("packet %d", i).isNotNull();
                assertThat(Arrays.equals(got, packet)).as("packet %d, %d bytes, arrives intact", i, packet.length).isTrue();
            }
            assertThat(received).isEmpty();
            DerpMetrics metrics = context.getBean(DerpMetrics.class);
            if (transport != Transport.NIO) {
                // Both Linux transports expose TCP_INFO, so derp_tcp_rtt keeps sampling on io_uring too.
                await().atMost(Duration.ofSeconds(10)).until(() -> metrics.tcpRttCount(TcpRttBucket.MS_10) >= 2);
            }
            assertThat(metrics.tcpRttCount(TcpRttBucket.ERROR)).isZero();
            sender.close().syncUninterruptibly();
            receiver.close().syncUninterruptibly();
        } finally {
            clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }
}
