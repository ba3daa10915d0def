package io.jderper.ace;

import io.jderper.config.AceProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.netty.NettyPipeline;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CONNECT request's target parsing, the policy, the properties' checks, and the gate in a bare pipeline. */
class ConnectRequestTest {

    // ---- authority-form parsing: Go's SplitHostPort rules ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "controlplane.tailscale.com:443 | controlplane.tailscale.com | 443",
            "controlplane.tailscale.com:80  | controlplane.tailscale.com | 80",
            "[::1]:443                      | ::1                        | 443",
            "[fe80::1%eth0]:443             | fe80::1%eth0               | 443",
            "10.0.0.1:443                   | 10.0.0.1                   | 443",
            "host:                          | host                       | ''",
            "host:0443                      | host                       | 0443",
    })
    void authorityFormSplitsIntoHostAndPort(String authority, String host, String port) {
        assertThat(ConnectTarget.parse(authority)).contains(new ConnectTarget(host, port));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "controlplane.tailscale.com",   // missing port
            "[::1]",                        // missing port after an IPv6 literal
            "::1:443",                      // IPv6 literal without brackets: too many colons
            "[::1]x:443",                   // text between the bracket and the port
            "[::1:443",                     // unclosed bracket
            "/derp",                        // origin form
            "http://controlplane.tailscale.com:443/",
            "a]b:443",
    })
    void anythingElseIsNotATarget(String authority) {
        assertThat(ConnectTarget.parse(authority)).isEmpty();
    }

    @Test
    void ipv6TargetsPrintBracketed() {
        assertThat(ConnectTarget.parse("[::1]:443").orElseThrow()).hasToString("[::1]:443");
    }

    // ---- the policy ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "controlplane.tailscale.com:443   | ALLOWED",
            "controlplane.tailscale.com:80    | ALLOWED",
            "Controlplane.Tailscale.COM:443   | ALLOWED",
            "login.tailscale.com:443          | ALLOWED",
            "controlplane.tailscale.com:8443  | BAD_PORT",
            "controlplane.tailscale.com:0443  | BAD_PORT",
            "controlplane.tailscale.com:      | BAD_PORT",
            "derp1.tailscale.com:443          | BAD_HOST",
            "DERP1.tailscale.com:443          | BAD_HOST",
            "tailscale.com:443                | BAD_HOST",
            "eviltailscale.com:443            | BAD_HOST",
            "controlplane.tailscale.com.:443  | BAD_HOST",
            "controlplane.tailscale.com.evil.example:443 | BAD_HOST",
            "[::1]:443                        | BAD_HOST",
            "127.0.0.1:443                    | BAD_HOST",
    })
    void theOriginalsPolicyByDefault(String authority, ConnectPolicy.Verdict verdict) {
        ConnectPolicy policy = new ConnectPolicy(properties(true, List.of(".tailscale.com"), List.of("derp"), List.of(443, 80)));
        assertThat(policy.check(ConnectTarget.parse(authority).orElseThrow())).isEqualTo(verdict);
    }

    @Test
    void anEntryWithoutALeadingDotAdmitsExactlyThatHost() {
        ConnectPolicy policy = new ConnectPolicy(properties(true, List.of("headscale.example.com", ".corp.example"),
                List.of(), List.of(443)));
        assertThat(policy.check(new ConnectTarget("headscale.example.com", "443"))).isEqualTo(ConnectPolicy.Verdict.ALLOWED);
        assertThat(policy.check(new ConnectTarget("x.headscale.example.com", "443"))).isEqualTo(ConnectPolicy.Verdict.BAD_HOST);
        assertThat(policy.check(new ConnectTarget("derp.corp.example", "443"))).isEqualTo(ConnectPolicy.Verdict.ALLOWED);
        assertThat(policy.check(new ConnectTarget("corp.example", "443"))).isEqualTo(ConnectPolicy.Verdict.BAD_HOST);
    }

    @Test
    void boundDefaultsAreTheOriginalsPolicy() {
        AceProperties d = bind(Map.of());
        assertThat(d.enabled()).isFalse();
        assertThat(d.allowedHostSuffixes()).containsExactly(".tailscale.com");
        assertThat(d.deniedHostSubstrings()).containsExactly("derp");
        assertThat(d.allowedPorts()).containsExactly(443, 80);
        assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(d.idleTimeout()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void boundListsAreCommaSeparatedAndTheDeniedListCanBeCleared() {
        AceProperties p = bind(Map.of("derper.ace.enabled", "true",
                "derper.ace.allowed-host-suffixes", ".Control.Example, headscale.example.org",
                "derper.ace.denied-host-substrings", "",
                "derper.ace.allowed-ports", "443,8080"));
        assertThat(p.allowedHostSuffixes()).containsExactly(".control.example", "headscale.example.org");
        assertThat(p.deniedHostSubstrings()).isEmpty();
        assertThat(p.allowedPorts()).containsExactly(443, 8080);
        assertThatThrownBy(() -> bind(Map.of("derper.ace.allowed-ports", "https")))
                .hasStackTraceContaining("derper.ace.allowed-ports");
    }

    private static AceProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("derper.ace", AceProperties.class);
    }

    @Test
    void badPropertiesFailNamingTheProperty() {
        assertThatThrownBy(() -> properties(true, List.of(".tailscale.com"), List.of(), List.of(0)))
                .hasMessageContaining("derper.ace.allowed-ports");
        assertThatThrownBy(() -> properties(true, List.of(".tailscale.com"), List.of(), List.of(65536)))
                .hasMessageContaining("derper.ace.allowed-ports");
        assertThatThrownBy(() -> properties(true, List.of(" "), List.of(), List.of(443)))
                .hasMessageContaining("derper.ace.allowed-host-suffixes");
        assertThatThrownBy(() -> properties(true, List.of("a.example:443"), List.of(), List.of(443)))
                .hasMessageContaining("derper.ace.allowed-host-suffixes");
        assertThatThrownBy(() -> properties(true, List.of(), List.of(), List.of(443)))
                .hasMessageContaining("derper.ace.allowed-host-suffixes");
        assertThatThrownBy(() -> properties(true, List.of(".a.example"), List.of(""), List.of(443)))
                .hasMessageContaining("derper.ace.denied-host-substrings");
        assertThatThrownBy(() -> properties(true, List.of(".a.example"), List.of(), List.of()))
                .hasMessageContaining("derper.ace.allowed-ports");
        assertThatThrownBy(() -> new AceProperties(true, List.of(".a.example"), List.of(), List.of(443),
                Duration.ofSeconds(-1), Duration.ofSeconds(15))).hasMessageContaining("derper.ace.idle-timeout");
        assertThatThrownBy(() -> new AceProperties(true, List.of(".a.example"), List.of(), List.of(443),
                Duration.ZERO, Duration.ZERO)).hasMessageContaining("derper.ace.connect-timeout");
        // Disabled, empty lists are fine: nothing is dialed.
        assertThat(properties(false, List.of(), List.of(), List.of()).enabled()).isFalse();
    }

    // ---- the gate in a bare HTTP pipeline (no TLS) ----

    @Test
    void disabledAnswersTheOriginals403AndClosesDroppingPipelinedBytes() {
        EmbeddedChannel ch = pipeline(false, new ArrayList<>());
        ch.writeInbound(ascii("CONNECT controlplane.tailscale.com:443 HTTP/1.1\r\nHost: x\r\n\r\nearly tunnel bytes"));
        String response = drainOutbound(ch);
        assertThat(response).startsWith("HTTP/1.1 403 Forbidden\r\n")
                .contains("\r\nContent-Type: text/plain; charset=utf-8\r\n", "\r\nX-Content-Type-Options: nosniff\r\n",
                        "\r\nContent-Length: 20\r\n", "\r\nConnection: close\r\n")
                .endsWith("\r\n\r\nCONNECT not enabled\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat(ch.pipeline().get(NettyPipeline.HttpCodec)).isNull();
        assertThat(metrics.count("disabled")).isEqualTo(1);
    }

    @Test
    void withoutTlsTheAnswerIs403RequiresTls() {
        EmbeddedChannel ch = pipeline(true, new ArrayList<>());
        ch.writeInbound(ascii("CONNECT controlplane.tailscale.com:443 HTTP/1.1\r\n\r\n"));
        assertThat(drainOutbound(ch)).startsWith("HTTP/1.1 403 Forbidden\r\n").endsWith("\r\n\r\nCONNECT requires TLS\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat(metrics.count("not_tls")).isEqualTo(1);
    }

    @Test
    void otherRequestsPassThroughUntouched() {
        List<Object> seen = new ArrayList<>();
        EmbeddedChannel ch = pipeline(true, seen);
        ch.writeInbound(ascii("GET /derp HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n"));
        assertThat(seen).filteredOn(HttpRequest.class::isInstance).extracting(o -> ((HttpRequest) o).uri())
                .containsExactly("/derp", "*");
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.pipeline().get(ConnectGate.NAME)).isNotNull();
        assertThat(drainOutbound(ch)).isEmpty();
        ch.finishAndReleaseAll();
    }

    // ---- helpers ----

    private TestMetrics metrics;

    private EmbeddedChannel pipeline(boolean enabled, List<Object> seen) {
        metrics = new TestMetrics();
        TargetResolver none = host -> CompletableFuture.<List<InetAddress>>failedFuture(new IllegalStateException("no dialing here"));
        ConnectGate gate = new ConnectGate(properties(enabled, List.of(".tailscale.com"), List.of("derp"), List.of(443, 80)),
                none, metrics.ace, new OpenTunnels());
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(NettyPipeline.HttpCodec, new HttpServerCodec());
        ch.pipeline().addLast(ConnectGate.NAME, gate);
        ch.pipeline().addLast("recorder", new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
                ReferenceCountUtil.release(msg);
            }
        });
        return ch;
    }

    private static AceProperties properties(boolean enabled, List<String> suffixes, List<String> denied, List<Integer> ports) {
        return new AceProperties(enabled, suffixes, denied, ports, Duration.ofMinutes(10), Duration.ofSeconds(15));
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String drainOutbound(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            out.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return out.toString();
    }

    private static final class TestMetrics {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final AceMetrics ace = new AceMetrics(registry, new OpenTunnels());

        double count(String result) {
            return registry.get("derper_ace_connections").tag("result", result).functionCounter().count();
        }
    }
}
