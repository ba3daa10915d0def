package io.jderper.mesh;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code derper.mesh.with} entries become the URLs and dial addresses the original would use. */
class SiblingTargetTest {

    @Test
    void plainHostIsHttpsOnTheDefaultPortLikeTheOriginal() {
        SiblingTarget t = SiblingTarget.fromEntry("derp2.example.com", true, 443);
        assertThat(t.url().toString()).isEqualTo("https://derp2.example.com/derp");
        assertThat(t.hostToDial()).isEqualTo("derp2.example.com");
        assertThat(t.port()).isEqualTo(443);
        assertThat(t.urlHostIsAddress()).isFalse();
    }

    @Test
    void dialHostKeepsTheUrlHostForTlsButDialsElsewhere() {
        SiblingTarget t = SiblingTarget.fromEntry("derp2.example.com/jderper-1.jderper-headless.derp.svc.cluster.local", true, 443);
        assertThat(t.url().toString()).isEqualTo("https://derp2.example.com/derp");
        assertThat(t.hostToDial()).isEqualTo("jderper-1.jderper-headless.derp.svc.cluster.local");
        assertThat(t.port()).isEqualTo(443);
        assertThat(t.name()).isEqualTo("derp2.example.com/jderper-1.jderper-headless.derp.svc.cluster.local");
    }

    @Test
    void aDiscoveredAddressWithASharedServerNameIsDialledButCheckedByName() throws Exception {
        SiblingTarget t = SiblingTarget.fromAddress(java.net.InetAddress.getByName("10.0.0.7"), true, 443, "derp-eu.example.com");
        assertThat(t.name()).isEqualTo("10.0.0.7:443");
        assertThat(t.url()).hasToString("https://derp-eu.example.com/derp");
        assertThat(t.hostToDial()).isEqualTo("10.0.0.7");
        assertThat(t.urlHostIsAddress()).isFalse();
        SiblingTarget plain = SiblingTarget.fromAddress(java.net.InetAddress.getByName("10.0.0.7"), true, 443, "");
        assertThat(plain.url()).hasToString("https://10.0.0.7/derp");
        assertThat(plain.urlHostIsAddress()).isTrue();
    }

    @Test
    void portsAndPlainHttp() {
        assertThat(SiblingTarget.fromEntry("127.0.0.2:3340", false, 443).url().toString()).isEqualTo("http://127.0.0.2:3340/derp");
        assertThat(SiblingTarget.fromEntry("derp-2", false, 3340).url().toString()).isEqualTo("http://derp-2:3340/derp");
        assertThat(SiblingTarget.fromEntry("derp-2:8443", true, 443).url().toString()).isEqualTo("https://derp-2:8443/derp");
        SiblingTarget v6 = SiblingTarget.fromEntry("[::1]:3340", false, 443);
        assertThat(v6.url().toString()).isEqualTo("http://[::1]:3340/derp");
        assertThat(v6.hostToDial()).isEqualTo("::1");
        assertThat(v6.urlHostIsAddress()).isTrue();
        SiblingTarget dialPort = SiblingTarget.fromEntry("derp2.example.com/127.0.0.9:8443", true, 443);
        assertThat(dialPort.url().toString()).isEqualTo("https://derp2.example.com/derp");
        assertThat(dialPort.port()).isEqualTo(8443);
    }

    @Test
    void ownEntryIsRecognisedByNameAndPort() {
        SiblingTarget.SiblingEntry e = SiblingTarget.SiblingEntry.parse("Derp1.Example.com/10.0.0.1");
        assertThat(e.namesSelf("derp1.example.com", 443)).isTrue();
        assertThat(SiblingTarget.SiblingEntry.parse("derp1.example.com:443").namesSelf("derp1.example.com", 443)).isTrue();
        assertThat(SiblingTarget.SiblingEntry.parse("derp1.example.com:8443").namesSelf("derp1.example.com", 443)).isFalse();
        assertThat(SiblingTarget.SiblingEntry.parse("derp2.example.com").namesSelf("derp1.example.com", 443)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/b/c", "host:0", "host:70000", "host:x", "[::1", "/dial", " "})
    void badEntriesFailNamingTheProperty(String entry) {
        assertThatThrownBy(() -> SiblingTarget.SiblingEntry.parse(entry))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("derper.mesh.with");
    }
}
