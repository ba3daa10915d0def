package io.jderper.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DerperFlagsTest {
    @Test
    void originalCommandLineMapsOntoProperties() {
        var t = DerperFlags.translate(new String[]{"-a", "127.0.0.1:3340", "-http-port", "-1", "-stun-port=3478",
                "-c", "derper.json", "--mesh-psk-file", "mesh.key", "-dev", "-stun=false", "-tcp-user-timeout", "1h30m",
                "-mesh-with", "a.example,b.example/10.0.0.2", "--derper.home=blank", "positional"});
        assertThat(t.springArgs()).containsExactly("--derper.listen=127.0.0.1:3340", "--derper.http.port=-1",
                "--derper.stun.port=3478", "--derper.key-file=derper.json", "--derper.mesh.key-file=mesh.key",
                "--derper.dev=true", "--derper.stun.enabled=false", "--derper.limits.tcp-user-timeout=5400000ms",
                "--derper.mesh.with=a.example,b.example/10.0.0.2", "--derper.home=blank");
        assertThat(t.versionRequested()).isFalse();
        assertThat(t.warnings()).isEmpty();
    }

    @Test
    void versionUnlandedAndUnknownFlags() {
        assertThat(DerperFlags.translate(new String[]{"-version"}).versionRequested()).isTrue();
        var secrets = DerperFlags.translate(new String[]{"-secrets-url", "https://setec.example"});
        assertThat(secrets.warnings()).isEmpty();
        assertThat(secrets.springArgs()).containsExactly("--derper.mesh.secrets.url=https://setec.example");
        var ace = DerperFlags.translate(new String[]{"-ace"});
        assertThat(ace.warnings()).isEmpty();
        assertThat(ace.springArgs()).containsExactly("--derper.ace.enabled=true");
        assertThatThrownBy(() -> DerperFlags.translate(new String[]{"-nope"})).hasMessageContaining("-nope");
        assertThatThrownBy(() -> DerperFlags.translate(new String[]{"-a"})).hasMessageContaining("needs an argument");
        assertThatThrownBy(() -> DerperFlags.translate(new String[]{"-stun=maybe"})).hasMessageContaining("boolean");
        assertThatThrownBy(() -> DerperFlags.translate(new String[]{"-http-port", "x"})).hasMessageContaining("-http-port");
        assertThatThrownBy(() -> DerperFlags.translate(new String[]{"-tcp-write-timeout", "5 sec"})).hasMessageContaining("Go duration");
        assertThat(DerperFlags.translate(new String[]{"-accept-connection-limit", "+Inf"}).springArgs())
                .containsExactly("--derper.limits.accept-connection-limit=Infinity");
    }

    @Test
    void everyFlagOfTheOriginalMapsToAPropertyAndTheLastOfARepeatedFlagWins() {
        var t = DerperFlags.translate(new String[]{"-ace", "-secrets-url", "https://setec.test", "-a", ":1", "-a", ":2"});
        assertThat(t.springArgs()).containsExactly("--derper.ace.enabled=true", "--derper.mesh.secrets.url=https://setec.test",
                "--derper.listen=:2");
        assertThat(t.warnings()).isEmpty();
    }

    @Test
    void flagForNamesTheFlagOfAProperty() {
        assertThat(DerperFlags.flagFor("derper.mesh.key-file")).contains("-mesh-psk-file");
        assertThat(DerperFlags.flagFor("derper.listen")).contains("-a");
        assertThat(DerperFlags.flagFor("derper.relay.drain-period")).isEmpty();
    }

    @Test
    void listenAddressForms() {
        assertThat(ListenAddress.parse(":443", "p")).isEqualTo(new ListenAddress("", 443));
        assertThat(ListenAddress.parse("[::1]:3340", "p")).isEqualTo(new ListenAddress("::1", 3340));
        assertThat(ListenAddress.parse("127.0.0.1:https", "p").port()).isEqualTo(443);
        assertThatThrownBy(() -> ListenAddress.parse("443", "derper.listen")).hasMessageContaining("derper.listen");
        assertThatThrownBy(() -> ListenAddress.parse(":99999", "derper.listen")).hasMessageContaining("derper.listen");
        assertThatThrownBy(() -> HomePage.parse("foo", "derper.home")).hasMessageContaining("derper.home");
    }
}
