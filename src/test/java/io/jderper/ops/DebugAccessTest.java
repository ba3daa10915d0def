package io.jderper.ops;

import io.jderper.http.DebugAccess;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The debug-access rule of derper-behaviour.md §15 (C-80 covers it over HTTP). Addresses here are values only. */
class DebugAccessTest {

    private static DebugAccess access(Map<String, String> env, String... adminCidrs) {
        return new DebugAccess(env::get, List.of(adminCidrs));
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private static boolean allows(DebugAccess a, String client) throws Exception {
        return a.allowed(ip(client), null, "GET", null);
    }

    @Test
    void loopbackAndTailscaleRangesAreAllowedOthersNot() throws Exception {
        DebugAccess a = access(Map.of());
        assertThat(allows(a, "127.0.0.1")).isTrue();
        assertThat(allows(a, "127.5.6.7")).isTrue();
        assertThat(allows(a, "::1")).isTrue();
        assertThat(allows(a, "100.64.0.0")).isTrue();
        assertThat(allows(a, "100.127.255.255")).isTrue();
        assertThat(allows(a, "100.115.91.255")).isTrue();
        assertThat(allows(a, "100.115.94.0")).isTrue();
        assertThat(allows(a, "fd7a:115c:a1e0::1")).isTrue();
        assertThat(allows(a, "fd7a:115c:a1e0:ffff:ffff:ffff:ffff:ffff")).isTrue();

        // ChromeOS VM range inside CGNAT is excluded.
        assertThat(allows(a, "100.115.92.0")).isFalse();
        assertThat(allows(a, "100.115.93.255")).isFalse();
        assertThat(allows(a, "100.63.255.255")).isFalse();
        assertThat(allows(a, "100.128.0.0")).isFalse();
        assertThat(allows(a, "fd7a:115c:a1e1::1")).isFalse();
        assertThat(allows(a, "10.0.0.1")).isFalse();
        assertThat(allows(a, "192.0.2.1")).isFalse();
        assertThat(allows(a, "2001:db8::1")).isFalse();
        assertThat(a.allowed(null, null, "GET", null)).isFalse();
    }

    @Test
    void ipv4MappedClientsAreJudgedAsIpv4() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 100;
        mapped[13] = 64;
        mapped[15] = 1;
        DebugAccess a = access(Map.of("TS_DEBUG_TRUSTED_CIDRS", "192.0.2.0/24"));
        assertThat(a.allowed(InetAddress.getByAddress(mapped), null, "GET", null)).isTrue();
        mapped[12] = (byte) 192;
        mapped[13] = 0;
        mapped[14] = 2;
        assertThat(a.allowed(InetAddress.getByAddress(mapped), null, "GET", null)).isTrue();
    }

    @Test
    void forwardedForDeniesEvenLoopbackButAnEmptyValueDoesNot() throws Exception {
        DebugAccess a = access(Map.of());
        assertThat(a.allowed(ip("127.0.0.1"), "1.2.3.4", "GET", null)).isFalse();
        assertThat(a.allowed(ip("100.64.1.1"), "127.0.0.1", "GET", null)).isFalse();
        // The original asks Header.Get(...) != "": an empty first value counts as absent.
        assertThat(a.allowed(ip("127.0.0.1"), "", "GET", null)).isTrue();
    }

    @Test
    void allowDebugIpMatchesOneAddressAndNeverResolvesNames() throws Exception {
        DebugAccess a = access(Map.of("TS_ALLOW_DEBUG_IP", "192.0.2.7"));
        assertThat(allows(a, "192.0.2.7")).isTrue();
        assertThat(allows(a, "192.0.2.8")).isFalse();
        DebugAccess v6 = access(Map.of("TS_ALLOW_DEBUG_IP", "2001:db8::7"));
        assertThat(allows(v6, "2001:db8::7")).isTrue();
        // A host name is not an address: it never matches (and is not looked up).
        DebugAccess name = access(Map.of("TS_ALLOW_DEBUG_IP", "localhost"));
        assertThat(allows(name, "192.0.2.7")).isFalse();
        assertThat(allows(name, "127.0.0.1")).isTrue();
    }

    @Test
    void trustedCidrsAndAdminCidrsAdmitTheirPrefixesIncludingTheChromeOsRange() throws Exception {
        DebugAccess a = access(Map.of("TS_DEBUG_TRUSTED_CIDRS", " 10.0.0.0/8 , 2001:db8::/32,,100.115.92.0/23"),
                "198.51.100.0/24", "2001:db8:1::/48");
        assertThat(allows(a, "10.255.1.2")).isTrue();
        assertThat(allows(a, "2001:db8:ffff::1")).isTrue();
        assertThat(allows(a, "198.51.100.200")).isTrue();
        assertThat(allows(a, "100.115.92.9")).isTrue();
        assertThat(allows(a, "198.51.101.1")).isFalse();
        assertThat(allows(a, "11.0.0.1")).isFalse();
        assertThat(a.allowed(ip("10.1.1.1"), "10.1.1.1", "GET", null)).isFalse();
        // A non-masked prefix is accepted, as netip.ParsePrefix does.
        assertThat(allows(access(Map.of(), "203.0.113.77/24"), "203.0.113.1")).isTrue();
    }

    @Test
    void invalidPrefixesFailAtStartupNamingTheirSource() {
        assertThatThrownBy(() -> access(Map.of("TS_DEBUG_TRUSTED_CIDRS", "10.0.0.0/8,nonsense")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("TS_DEBUG_TRUSTED_CIDRS")
                .hasMessageContaining("nonsense");
        assertThatThrownBy(() -> access(Map.of(), "10.0.0.0/33"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("derper.debug.admin-cidrs");
        assertThatThrownBy(() -> access(Map.of(), "example.com/8"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("derper.debug.admin-cidrs");
        assertThatThrownBy(() -> access(Map.of(), "10.0.0.1"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("10.0.0.1");
    }

    @Test
    void debugKeyGrantsGetRequestsFromAnywhere(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("debug.key");
        Files.writeString(key, "  s3cret\n");
        DebugAccess a = access(Map.of("TS_DEBUG_KEY_PATH", key.toString()));
        InetAddress outside = ip("192.0.2.1");
        assertThat(a.allowed(outside, null, "GET", "s3cret")).isTrue();
        assertThat(a.allowed(outside, "1.2.3.4", "GET", "s3cret")).isTrue();
        assertThat(a.allowed(outside, null, "POST", "s3cret")).isFalse();
        assertThat(a.allowed(outside, null, "GET", "wrong")).isFalse();
        assertThat(a.allowed(outside, null, "GET", null)).isFalse();
        // Read on every use: rotating the file takes effect without a restart.
        Files.writeString(key, "other");
        assertThat(a.allowed(outside, null, "GET", "s3cret")).isFalse();
        assertThat(a.allowed(outside, null, "GET", "other")).isTrue();
        // An empty key never matches, not even an empty parameter.
        Files.writeString(key, "");
        assertThat(a.allowed(outside, null, "GET", "")).isFalse();
        Files.delete(key);
        assertThat(a.allowed(outside, null, "GET", "other")).isFalse();
    }

    @Test
    void hintAddressIsWrittenLikeGo() throws Exception {
        assertThat(DebugAccess.hintAddress(ip("::1"))).isEqualTo("::1");
        assertThat(DebugAccess.hintAddress(ip("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1");
        assertThat(DebugAccess.hintAddress(ip("192.0.2.7"))).isEqualTo("192.0.2.7");
        assertThat(DebugAccess.hintAddress(null)).isEmpty();
    }

    @Property(tries = 1000)
    void anyIpv4IsAllowedExactlyWhenLoopbackOrTailscale(@ForAll("firstOctets") int first,
                                                        @ForAll @IntRange(max = 255) int second,
                                                        @ForAll("thirdOctets") int third,
                                                        @ForAll @IntRange(max = 255) int fourth) throws Exception {
        byte[] a = {(byte) first, (byte) second, (byte) third, (byte) fourth};
        boolean loopback = first == 127;
        boolean cgnat = first == 100 && second >= 64 && second <= 127;
        boolean chromeOs = first == 100 && second == 115 && (third == 92 || third == 93);
        boolean expected = loopback || (cgnat && !chromeOs);
        assertThat(access(Map.of()).allowed(InetAddress.getByAddress(a), null, "GET", null)).isEqualTo(expected);
    }

    /** Mostly the interesting first octets, so the CGNAT boundaries get exercised. */
    @Provide
    Arbitrary<Integer> firstOctets() {
        return Arbitraries.oneOf(Arbitraries.of(100, 127, 100, 100), Arbitraries.integers().between(0, 255));
    }

    @Provide
    Arbitrary<Integer> thirdOctets() {
        return Arbitraries.oneOf(Arbitraries.of(91, 92, 93, 94), Arbitraries.integers().between(0, 255));
    }
}
