package io.jderper.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class RolloutPercentTest {

    private static final java.util.function.DoubleSupplier NEVER = () -> {
        throw new AssertionError("coin must only be flipped for loopback clients");
    };

    /** The sample of the original's own test (cmd/derper/bootstrap_dns_test.go): same PRNG, same answers. */
    @ParameterizedTest
    @CsvSource({
            "1.2.3.4, true", "1.2.3.5, true", "1.2.3.6, false", "1.2.3.7, true",
            "1.2.3.8, false", "1.2.3.9, true", "1.2.3.10, true",
    })
    void matchesOriginalAtFiftyPercent(String ip, boolean expected) throws Exception {
        assertThat(RolloutPercent.matches(InetAddress.getByName(ip), 0.5, NEVER)).isEqualTo(expected);
    }

    @Test
    void extremesAndUnknownClient() throws Exception {
        InetAddress a = InetAddress.getByName("10.0.0.1");
        assertThat(RolloutPercent.matches(a, 0.0, NEVER)).isFalse();
        assertThat(RolloutPercent.matches(a, 1.0, NEVER)).isTrue();
        assertThat(RolloutPercent.matches(null, 1.0, NEVER)).isTrue();
        assertThat(RolloutPercent.matches(null, 0.0, NEVER)).isFalse();
        assertThat(RolloutPercent.matches(null, 0.5, NEVER)).isFalse();
    }

    @Test
    void loopbackFlipsACoin() throws Exception {
        assertThat(RolloutPercent.matches(InetAddress.getByName("127.0.0.1"), 0.3, () -> 0.49)).isTrue();
        assertThat(RolloutPercent.matches(InetAddress.getByName("::1"), 0.9, () -> 0.5)).isFalse();
    }

    @Test
    void fiftyPercentSplitsASlash16EvenlyAndIpv6IsDeterministic() throws Exception {
        int match = 0;
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                if (RolloutPercent.matches(InetAddress.getByAddress(new byte[] {1, 2, (byte) a, (byte) b}), 0.5, NEVER)) {
                    match++;
                }
            }
        }
        assertThat(match / 65536.0).isBetween(0.495, 0.505);
        InetAddress v6 = InetAddress.getByName("2001:db8::1234");
        boolean first = RolloutPercent.matches(v6, 0.5, NEVER);
        for (int i = 0; i < 5; i++) {
            assertThat(RolloutPercent.matches(v6, 0.5, NEVER)).isEqualTo(first);
        }
    }
}
