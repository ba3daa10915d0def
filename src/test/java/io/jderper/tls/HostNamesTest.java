package io.jderper.tls;

import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class HostNamesTest {

    @Test
    void fileNamesKeepOnlyLettersDigitsDotsAndDashes() {
        assertThat(HostNames.fileBaseName("derp.example.com")).isEqualTo("derp.example.com");
        assertThat(HostNames.fileBaseName("2001:db8::1")).isEqualTo("2001db81");
        assertThat(HostNames.fileBaseName("we_ird/na me*")).isEqualTo("weirdname");
        assertThat(HostNames.fileBaseName("127.0.0.1")).isEqualTo("127.0.0.1");
    }

    @Test
    void ipFileNamesTurnColonsIntoDots() throws Exception {
        assertThat(HostNames.ipFileBaseName(InetAddress.getByName("2001:db8::1"))).isEqualTo("2001.db8..1");
        assertThat(HostNames.ipFileBaseName(InetAddress.getByName("192.0.2.7"))).isEqualTo("192.0.2.7");
    }

    @Test
    void ipLiteralsAreRecognisedWithoutLookups() {
        assertThat(HostNames.ipLiteral("127.0.0.1")).isPresent();
        assertThat(HostNames.ipLiteral("::1")).isPresent();
        assertThat(HostNames.ipLiteral("[::1]")).isPresent();
        assertThat(HostNames.ipLiteral("::ffff:10.1.2.3").orElseThrow().getAddress()).hasSize(4);
        assertThat(HostNames.ipLiteral("localhost")).isEmpty();
        assertThat(HostNames.ipLiteral("derp.example.com")).isEmpty();
        assertThat(HostNames.ipLiteral("1.2.3")).isEmpty();
        assertThat(HostNames.ipLiteral("")).isEmpty();
    }

    @Test
    void certificateNameRulesFollowSubjectAltNamesOnly() throws Exception {
        var pair = TestPki.ecKey();
        var cert = TestPki.selfSigned(pair, "cn-is-ignored.example", java.time.Instant.now(),
                java.time.Duration.ofDays(1), "derp.example.com", "*.wild.example", "127.0.0.1", "::1");
        assertThat(HostNames.certificateMatches(cert, "derp.example.com")).isTrue();
        assertThat(HostNames.certificateMatches(cert, "DERP.example.com.")).isTrue();
        assertThat(HostNames.certificateMatches(cert, "a.wild.example")).isTrue();
        assertThat(HostNames.certificateMatches(cert, "a.b.wild.example")).isFalse();
        assertThat(HostNames.certificateMatches(cert, "wild.example")).isFalse();
        assertThat(HostNames.certificateMatches(cert, "127.0.0.1")).isTrue();
        assertThat(HostNames.certificateMatches(cert, "0:0:0:0:0:0:0:1")).isTrue();
        assertThat(HostNames.certificateMatches(cert, "127.0.0.2")).isFalse();
        assertThat(HostNames.certificateMatches(cert, "cn-is-ignored.example")).isFalse();
    }

    @Test
    void prodPolicyAcceptsAnyDerpTailscaleName() {
        var prod = ServerTls.hostPolicy("derp.tailscale.com");
        assertThat(prod.test("derp.tailscale.com")).isTrue();
        assertThat(prod.test("derp12b.tailscale.com")).isTrue();
        assertThat(prod.test("derp1.tailscale.com.")).isTrue();
        assertThat(prod.test("x.derp1.tailscale.com")).isFalse();
        assertThat(prod.test("derp.tailscale.com:80")).isFalse();
        var plain = ServerTls.hostPolicy("derp.test");
        assertThat(plain.test("derp.test")).isTrue();
        assertThat(plain.test("DERP.test")).isTrue();
        assertThat(plain.test("derp.test:8080")).isFalse();
        assertThat(plain.test("other.test")).isFalse();
    }
}
