package io.jderper.probe;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** derpprobe's flags, defaults and Go flag syntax. */
class ProbeFlagsTest {
    @TempDir
    Path dir;

    static ProbeSettings parse(String... args) {
        return ProbeFlags.parse(args, k -> null).settings();
    }

    @Test
    void defaultsAreTheOriginals() {
        ProbeSettings s = parse();
        assertThat(s.derpMap()).isEqualTo("https://login.tailscale.com/derpmap/default");
        assertThat(s.listen()).isEqualTo(":8030");
        assertThat(s.once()).isFalse();
        assertThat(s.spread()).isTrue();
        assertThat(s.interval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.meshInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.stunInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.tlsInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.bwInterval()).isZero();
        assertThat(s.bwProbeSizeBytes()).isEqualTo(1_000_000);
        assertThat(s.qdPacketsPerSecond()).isZero();
        assertThat(s.qdPacketTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.regionCodeOrId()).isEmpty();
        assertThat(s.meshKey()).isEmpty();
        assertThat(s.tlsCaFile()).isNull();
        assertThat(s.derpHttp()).isFalse();
    }

    @Test
    void goFlagSyntax() {
        ProbeSettings s = parse("-once", "--spread=false", "-derp-map", "file:///etc/derpmap.json", "-interval=1m30s",
                "--mesh-interval", "500ms", "-stun-interval=0", "-tls-interval", "1h", "-bw-interval=30s",
                "-bw-probe-size-bytes", "2000", "-qd-packets-per-second=10", "-qd-packet-timeout", "2.5s",
                "-region-code", "lax", "-listen", "127.0.0.1:9000", "ignored-positional", "-once=false");
        assertThat(s.once()).isTrue();
        assertThat(s.spread()).isFalse();
        assertThat(s.derpMap()).isEqualTo("file:///etc/derpmap.json");
        assertThat(s.interval()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.meshInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.stunInterval()).isZero();
        assertThat(s.tlsInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(s.bwInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.bwProbeSizeBytes()).isEqualTo(2000);
        assertThat(s.qdPacketsPerSecond()).isEqualTo(10);
        assertThat(s.qdPacketTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(s.regionCodeOrId()).isEqualTo("lax");
        assertThat(s.listen()).isEqualTo("127.0.0.1:9000");
    }

    @Test
    void meshKeyFromThePskFileOrInDevModeFromTheEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("mesh.key"), "  " + DerpServerTestBase.MESH_KEY_HEX + "\n");
        assertThat(parse("-mesh-psk-file", file.toString()).meshKey()).hasValueSatisfying(
                k -> assertThat(k.toHex()).isEqualTo(DerpServerTestBase.MESH_KEY_HEX));
        Map<String, String> env = Map.of(ProbeFlags.MESH_KEY_ENV, DerpServerTestBase.MESH_KEY_HEX);
        assertThat(ProbeFlags.parse(new String[] {"-dev"}, env::get).settings().meshKey()).isPresent();
        assertThat(ProbeFlags.parse(new String[] {}, env::get).settings().meshKey()).as("only -dev reads the variable").isEmpty();
        Path bad = Files.writeString(dir.resolve("bad.key"), "not hex");
        assertThatThrownBy(() -> parse("-mesh-psk-file", bad.toString())).hasMessageContaining("failed to get mesh key");
        assertThatThrownBy(() -> parse("-mesh-psk-file", dir.resolve("missing").toString())).hasMessageContaining("cannot read");
    }

    @Test
    void derpHttpFollowsTailscalesEnvironmentSwitch() {
        assertThat(ProbeFlags.parse(new String[] {}, Map.of(ProbeFlags.DERP_HTTP_ENV, "1")::get).settings().derpHttp()).isTrue();
        assertThat(ProbeFlags.parse(new String[] {"-derp-http=false"}, Map.of(ProbeFlags.DERP_HTTP_ENV, "true")::get)
                .settings().derpHttp()).isFalse();
        assertThat(parse("-derp-http").derpHttp()).isTrue();
    }

    @Test
    void versionAndHelp() {
        assertThat(ProbeFlags.parse(new String[] {"-version"}, k -> null).version()).isTrue();
        assertThat(ProbeFlags.parse(new String[] {"-h"}, k -> null).help()).isTrue();
        assertThat(ProbeFlags.usage()).contains("-derp-map", "-qd-packet-timeout", "(default 15s)", "(default \":8030\")");
    }

    @Test
    void badCommandLinesAreRefusedWithGoLikeMessages() {
        assertThatThrownBy(() -> parse("-nope")).hasMessage("flag provided but not defined: -nope");
        assertThatThrownBy(() -> parse("-interval")).hasMessage("flag needs an argument: -interval");
        assertThatThrownBy(() -> parse("-interval", "fast")).hasMessageContaining("invalid duration");
        assertThatThrownBy(() -> parse("-once=maybe")).hasMessageContaining("invalid boolean value");
        assertThatThrownBy(() -> parse("-bw-probe-size-bytes", "lots")).hasMessageContaining("parse error");
        assertThatThrownBy(() -> parse("-interval", "0")).hasMessageContaining("interval must be positive");
        assertThatThrownBy(() -> parse("-derp-map", "ftp://x")).hasMessageContaining("https://");
        assertThatThrownBy(() -> parse("-bw-tun-ipv4-addr", "10.0.0.1")).hasMessageContaining("not supported");
        assertThatThrownBy(() -> parse("-secrets-url", "https://setec")).hasMessageContaining("-mesh-psk-file");
        assertThatThrownBy(() -> parse("-qd-packets-per-second", "5000")).hasMessageContaining("0..1000");
    }

    @Test
    void goDurations() {
        assertThat(ProbeFlags.parseDuration("1h2m3.5s", "x")).isEqualTo(Duration.ofMillis(3_723_500));
        assertThat(ProbeFlags.parseDuration("-10s", "x")).isEqualTo(Duration.ofSeconds(-10));
        assertThat(ProbeFlags.parseDuration("250us", "x")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(ProbeFlags.parseDuration("1.5µs", "x")).isEqualTo(Duration.ofNanos(1500));
        assertThatThrownBy(() -> ProbeFlags.parseDuration("15", "x")).hasMessageContaining("invalid duration");
        assertThatThrownBy(() -> ProbeFlags.parseDuration("", "x")).hasMessageContaining("invalid duration");
    }
}
