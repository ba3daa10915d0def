package io.jderper.stun;

import io.jderper.config.StunProperties;
import io.jderper.testsupport.ExternalTools;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real third-party STUN client: coturn's {@code turnutils_stunclient} (Debian package {@code coturn}).
 * It sends a plain RFC 5389 Binding request with no attributes, so only generic-clients mode answers it.
 * Older releases have no receive timeout, so every run is bounded by a process timeout.
 */
class StunCoturnClientTest {

    private static final Pattern REFLEXIVE = Pattern.compile("UDP reflexive addr: *\\[?([0-9A-Fa-f.:]+)]?:(\\d+)");

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final List<InetSocketAddress> senders = new CopyOnWriteArrayList<>();
    private StunServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private InetSocketAddress startServer(String listen, boolean generic) {
        server = new StunServer(new StunProperties(true, 0, generic), StunServerTest.derper(listen), registry);
        server.inspectWith(() -> new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof DatagramPacket p) {
                    senders.add(p.sender());
                }
                ctx.fireChannelRead(msg);
            }
        });
        server.start();
        return server.localAddress();
    }

    private record Run(boolean exited, String output) {
    }

    private static Run runClient(Path tool, InetSocketAddress server, long waitMillis) throws Exception {
        String host = server.getAddress().getHostAddress();
        // A file, not a pipe: killing the process must not lose what it printed.
        Path log = Files.createTempFile("stunclient", ".out");
        try {
            Process process = new ProcessBuilder(tool.toString(), "-p", Integer.toString(server.getPort()), host)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            process.getOutputStream().close();
            boolean exited = process.waitFor(waitMillis, TimeUnit.MILLISECONDS);
            if (!exited) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            return new Run(exited, Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:0", "[::1]:0"})
    void genericClientsModeAnswersTurnutilsWithItsAddress(String listen) throws Exception {
        Path tool = ExternalTools.require("turnutils_stunclient");
        InetSocketAddress address = startServer(listen, true);

        Run run = runClient(tool, address, 10_000);

        assertThat(run.exited()).as("turnutils_stunclient finished; output:%n%s", run.output()).isTrue();
        Matcher m = REFLEXIVE.matcher(run.output());
        assertThat(m.find()).as("reflexive address in output:%n%s", run.output()).isTrue();
        InetSocketAddress reported = new InetSocketAddress(InetAddress.getByName(m.group(1)), Integer.parseInt(m.group(2)));
        assertThat(senders).hasSize(1);
        assertThat(reported).isEqualTo(senders.get(0));
        assertThat(reported.getAddress()).isEqualTo(address.getAddress());
        String family = address.getAddress() instanceof java.net.Inet4Address ? "ipv4" : "ipv6";
        assertThat(registry.get("stun_addrfamily").tag("family", family).counter().count()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:0", "[::1]:0"})
    void tailscaleOnlyModeLeavesTurnutilsUnanswered(String listen) throws Exception {
        Path tool = ExternalTools.require("turnutils_stunclient");
        InetSocketAddress address = startServer(listen, false);

        Run run = runClient(tool, address, 2_000);

        assertThat(REFLEXIVE.matcher(run.output()).find()).as("output:%n%s", run.output()).isFalse();
        assertThat(run.output()).doesNotContain("The response is");
        assertThat(senders).hasSize(1);
        assertThat(registry.get("stun_requests").tag("disposition", "not_stun").counter().count()).isEqualTo(1);
        assertThat(registry.get("stun_requests").tag("disposition", "success").counter().count()).isZero();
    }
}
