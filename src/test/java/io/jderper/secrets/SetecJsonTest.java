package io.jderper.secrets;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The API's JSON as setec's Go client writes requests and reads answers. */
class SetecJsonTest {

    @Test
    void requestsHaveGoFieldNamesAndOrder() {
        assertThat(new String(SetecJson.getRequest("prod/derp/meshkey", 0, false), StandardCharsets.UTF_8))
                .isEqualTo("{\"Name\":\"prod/derp/meshkey\",\"Version\":0,\"UpdateIfChanged\":false}");
        assertThat(new String(SetecJson.getRequest("a\"b", 4294967295L, true), StandardCharsets.UTF_8))
                .isEqualTo("{\"Name\":\"a\\\"b\",\"Version\":4294967295,\"UpdateIfChanged\":true}");
    }

    @Test
    void answersAreReadLikeGoEncodingJson() {
        SecretValue v = SetecJson.secretValue(bytes("{\"Value\":\"aGVsbG8=\",\"Version\":7,\"Extra\":[1]}"));
        assertThat(v.text()).isEqualTo("hello");
        assertThat(v.version()).isEqualTo(7);
        // Go matches field names case-insensitively.
        SecretValue lower = SetecJson.secretValue(bytes("{\"value\":\"aGk=\",\"VERSION\":2}"));
        assertThat(lower.text()).isEqualTo("hi");
        assertThat(lower.version()).isEqualTo(2);
        // A null or missing Value is an empty []byte; a missing Version is 0.
        assertThat(SetecJson.secretValue(bytes("{\"Value\":null}")).value()).isEmpty();
        assertThat(SetecJson.secretValue(bytes("{}")).version()).isZero();
    }

    @Test
    void malformedAnswersAreBadResponsesWithAReason() {
        assertBad("not json", "not JSON");
        assertBad("[1,2]", "not a JSON object");
        assertBad("{\"Value\":\"***\",\"Version\":1}", "not base64");
        assertBad("{\"Value\":12,\"Version\":1}", "not a base64 string");
        assertBad("{\"Value\":\"aGk=\",\"Version\":-1}", "unsigned 32-bit");
        assertBad("{\"Value\":\"aGk=\",\"Version\":4294967296}", "unsigned 32-bit");
        assertBad("{\"Value\":\"aGk=\",\"Version\":1.5}", "unsigned 32-bit");
        assertBad("{\"Value\":\"aGk=\",\"Version\":\"1\"}", "unsigned 32-bit");
    }

    @Test
    void aValueIsNeverPrinted() {
        SecretValue v = SetecJson.secretValue(bytes("{\"Value\":\"aGVsbG8=\",\"Version\":7}"));
        assertThat(v.toString()).doesNotContain("hello").doesNotContain("aGVsbG8").contains("7");
    }

    private static void assertBad(String body, String reason) {
        assertThatThrownBy(() -> SetecJson.secretValue(bytes(body)))
                .isInstanceOfSatisfying(SetecException.class, e -> assertThat(e.kind()).isEqualTo(SetecException.Kind.BAD_RESPONSE))
                .hasMessageContaining(reason);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
