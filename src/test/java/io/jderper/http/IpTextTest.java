package io.jderper.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

class IpTextTest {

    @ParameterizedTest
    @CsvSource({
            "192.0.2.10, 192.0.2.10",
            "0.0.0.0, 0.0.0.0",
            "2001:db8:0:0:0:0:0:10, 2001:db8::10",
            "0:0:0:0:0:0:0:1, ::1",
            "0:0:0:0:0:0:0:0, ::",
            "1:0:0:0:0:0:0:0, 1::",
            "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
            "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
            "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "FE80:0:0:0:0ABC:0:0:1, fe80::abc:0:0:1",
            "::102:304, ::102:304",
    })
    void formatsLikeGo(String input, String expected) throws Exception {
        assertThat(IpText.format(InetAddress.getByName(input))).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void mappedAndScopedAddresses() throws Exception {
        byte[] mapped = java.util.HexFormat.of().parseHex("00000000000000000000ffffc0000201");
        assertThat(IpText.format(mapped)).isEqualTo("192.0.2.1");
        assertThat(IpText.format(InetAddress.getByName("fe80::1%1"))).isEqualTo("fe80::1");
    }
}
