package io.jderper.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GoJsonTest {

    private static String json(Map<String, List<String>> m) {
        return new String(GoJson.marshalIndent(m), StandardCharsets.UTF_8);
    }

    @Test
    void specExampleShape() {
        assertThat(json(Map.of("controlplane.example.com", List.of("192.0.2.10", "2001:db8::10"))))
                .isEqualTo("{\n\t\"controlplane.example.com\": [\n\t\t\"192.0.2.10\",\n\t\t\"2001:db8::10\"\n\t]\n}");
    }

    @Test
    void keysAreSortedAndSeparated() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("log.example.com", List.of("192.0.2.2"));
        m.put("a.example.com", List.of("192.0.2.1"));
        assertThat(json(m)).isEqualTo("{\n\t\"a.example.com\": [\n\t\t\"192.0.2.1\"\n\t],"
                + "\n\t\"log.example.com\": [\n\t\t\"192.0.2.2\"\n\t]\n}");
    }

    @Test
    void nilEmptyAndEmptyList() {
        assertThat(json(null)).isEqualTo("null");
        assertThat(json(Map.of())).isEqualTo("{}");
        assertThat(json(Map.of("x", List.of()))).isEqualTo("{\n\t\"x\": []\n}");
    }

    @Test
    void stringsAreEscapedAsGoDoes() {
        assertThat(json(Map.of("a\"b\\c<d>e&f\u2028\u2029\n\r\t\b\f\u0001\u001f", List.of("é\uD83D\uDE00", "\uD800"))))
                .isEqualTo("{\n\t\"a\\\"b\\\\c\\u003cd\\u003ee\\u0026f\\u2028\\u2029\\n\\r\\t\\b\\f\\u0001\\u001f\": [\n"
                        + "\t\t\"é\uD83D\uDE00\",\n\t\t\"\\ufffd\"\n\t]\n}");
    }
}
