package io.jderper.http;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Spec §6.3: the X-Tailscale-Challenge echo rule. */
class Generate204Test {

    @Test
    void echoesAValidChallenge() {
        assertThat(Generate204.response("ts_derp.example.com")).contains("response ts_derp.example.com");
        assertThat(Generate204.response("ts_100.64.0.1")).contains("response ts_100.64.0.1");
        assertThat(Generate204.response("a:b-c.d_E9")).contains("response a:b-c.d_E9");
    }

    @Test
    void omitsForAbsentEmptyLongOrBadCharacters() {
        assertThat(Generate204.response(null)).isEmpty();
        assertThat(Generate204.response("")).isEmpty();
        assertThat(Generate204.response("a".repeat(64))).contains("response " + "a".repeat(64));
        assertThat(Generate204.response("a".repeat(65))).isEmpty();
        assertThat(Generate204.response("ts derp")).isEmpty();
        assertThat(Generate204.response("ts/derp")).isEmpty();
        assertThat(Generate204.response("tsé")).isEmpty();
        assertThat(Generate204.response("[::1]")).isEmpty();
    }

    @Property(tries = 300)
    void echoIffAllowedCharactersAndShort(@ForAll @StringLength(max = 80) String s) {
        boolean ok = !s.isEmpty() && s.length() <= 64 && s.chars().allMatch(c ->
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '-' || c == '_' || c == ':');
        assertThat(Generate204.response(s)).isEqualTo(ok ? Optional.of("response " + s) : Optional.empty());
    }
}
