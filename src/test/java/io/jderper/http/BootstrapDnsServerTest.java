package io.jderper.http;

import io.jderper.client.Transport;
import io.jderper.config.BootstrapDnsProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * C-79 end to end on loopback: the real resolver (Netty DNS, answering "localhost" from the hosts file, so
 * no DNS traffic leaves the machine) behind a real Reactor Netty server, read with a raw socket so that the
 * server closing the connection is observed, not assumed.
 */
class BootstrapDnsServerTest {

    @Test
    void nettyLookupAnswersLocalhostFromHostsFile() throws Exception {
        try (NettyBootstrapDnsLookup lookup = new NettyBootstrapDnsLookup(Transport.fromSystemProperty())) {
            List<InetAddress> addresses = lookup.lookupIp("localhost").get(10, TimeUnit.SECONDS);
            assertThat(addresses).isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
        }
    }

    @Test
    void txtRdataStringsAreJoined() {
        var rdata = Unpooled.wrappedBuffer(new byte[] {2, '5', '0', 1, '%', 0});
        try {
            assertThat(NettyBootstrapDnsLookup.joinCharacterStrings(rdata)).isEqualTo("50%");
        } finally {
            rdata.release();
        }
        var truncated = Unpooled.wrappedBuffer(new byte[] {9, '4', '2'});
        try {
            assertThat(NettyBootstrapDnsLookup.joinCharacterStrings(truncated)).isEqualTo("42");
        } finally {
            truncated.release();
        }
    }

    @Test
    void c79_servedOverHttpWithConnectionClose() throws Exception {
        BootstrapDnsResolver resolver = new BootstrapDnsResolver(new BootstrapDnsProperties(List.of("localhost"), List.of()), Transport.fromSystemProperty());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BootstrapDnsHandler handler = new BootstrapDnsHandler(resolver, registry);
        resolver.start();
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(handler)))
                .bindNow();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (resolver.published() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(resolver.published()).as("first refresh finished").isNotNull();

            for (String target : new String[] {"/bootstrap-dns", "/bootstrap-dns?q=anything"}) {
                String response = exchange((InetSocketAddress) server.address(), target);
                int split = response.indexOf("\r\n\r\n");
                String head = response.substring(0, split).toLowerCase(java.util.Locale.ROOT);
                String body = response.substring(split + 4);
                assertThat(head).startsWith("http/1.1 200").contains("\r\nconnection: close")
                        .contains("\r\ncontent-type: application/json\r\n");
                assertThat(body).startsWith("{\n\t\"localhost\": [\n\t\t\"").endsWith("\"\n\t]\n}")
                        .containsAnyOf("\"127.0.0.1\"", "\"::1\"");
            }
            assertThat(registry.get("bootstrap_dns_requests").counter().count()).isEqualTo(2);
        } finally {
            server.disposeNow();
            resolver.stop();
        }
    }

    /** Sends a keep-alive-eligible HTTP/1.1 request and reads until the server closes the connection. */
    private static String exchange(InetSocketAddress address, String target) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(address, 5000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
