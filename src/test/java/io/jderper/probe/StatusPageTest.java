package io.jderper.probe;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The status page's server-side rendering: order, escaping, and the JSON twin. */
class StatusPageTest {
    static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    static ProbeInfo info(String name, String result, String error) {
        Instant end = ProbeInfo.NONE.equals(result) ? null : NOW.minusSeconds(7);
        return new ProbeInfo(name, "tls", Duration.ofSeconds(15), Map.of("name", name, "class", "tls", "region", "r"),
                end == null ? null : end.minusMillis(20), end,
                ProbeInfo.SUCCEEDED.equals(result) ? Duration.ofMillis(20) : Duration.ZERO,
                ProbeInfo.NONE.equals(result) ? ProbeInfo.UNKNOWN : result, result, error, "",
                ProbeInfo.NONE.equals(result) ? List.of() : List.of(ProbeInfo.SUCCEEDED.equals(result)),
                ProbeInfo.SUCCEEDED.equals(result) ? List.of(Duration.ofMillis(20)) : List.of());
    }

    static Map<String, ProbeInfo> sample() {
        Map<String, ProbeInfo> m = new TreeMap<>();
        for (ProbeInfo p : List.of(info("a-ok", ProbeInfo.SUCCEEDED, ""), info("b-bad", ProbeInfo.FAILED, "refused <script>"),
                info("c-new", ProbeInfo.NONE, ""), info("d-bad", ProbeInfo.FAILED, "timeout"))) {
            m.put(p.name(), p);
        }
        return m;
    }

    @Test
    void failingFirstThenNotYetRunThenHealthy() {
        assertThat(StatusPage.rows(sample())).extracting(ProbeInfo::name).containsExactly("b-bad", "d-bad", "c-new", "a-ok");
    }

    @Test
    void htmlIsSelfContainedEscapedAndSummarises() {
        String html = StatusPage.html(sample(), NOW, 0);
        assertThat(html).contains("<p id=\"summary\" class=\"bad\">2 of 4 probes failing</p>");
        assertThat(html).contains("<title>(2 failing) DERP Prober</title>");
        assertThat(html).contains("refused &lt;script&gt;").doesNotContain("<script");
        assertThat(html).doesNotContain("http://", "https://").as("nothing is loaded from elsewhere");
        assertThat(html).contains("<td class=\"age num\">7s ago</td>", "<td class=\"age num\">never</td>", "20.0 ms");
        assertThat(html.indexOf("data-name=\"b-bad\"")).isLessThan(html.indexOf("data-name=\"a-ok\""));
        assertThat(html).doesNotContain("http-equiv=\"refresh\"");
        assertThat(StatusPage.html(sample(), NOW, 30)).contains("<meta http-equiv=\"refresh\" content=\"30\">");
    }

    @Test
    void healthySummary() {
        Map<String, ProbeInfo> m = Map.of("a", info("a", ProbeInfo.SUCCEEDED, ""), "n", info("n", ProbeInfo.NONE, ""));
        assertThat(StatusPage.html(m, NOW, 0)).contains("All 1 probes that have run are healthy (1 not run yet)");
    }

    @Test
    void jsonHasTheSameRowsInTheSameOrder() {
        JsonNode doc = JsonMapper.builder().build().readTree(StatusPage.json(sample(), NOW));
        assertThat(doc.get("total").asInt()).isEqualTo(4);
        assertThat(doc.get("failing").asInt()).isEqualTo(2);
        assertThat(doc.get("probes").get(0).get("name").asString()).isEqualTo("b-bad");
        assertThat(doc.get("probes").get(0).get("error").asString()).isEqualTo("refused <script>");
        assertThat(doc.get("probes").get(0).get("ageSeconds").asDouble()).isEqualTo(7.0);
        assertThat(doc.get("probes").get(2).get("end").isNull()).isTrue();
        assertThat(doc.get("probes").get(3).get("latencyMillis").asDouble()).isEqualTo(20.0);
        assertThat(doc.get("probes").get(3).get("labels").get("region").asString()).isEqualTo("r");
    }

    @Test
    void shortForms() {
        assertThat(StatusPage.age(Duration.ofSeconds(59))).isEqualTo("59s");
        assertThat(StatusPage.age(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(StatusPage.age(Duration.ofHours(5))).isEqualTo("5h");
        assertThat(StatusPage.age(Duration.ofDays(3))).isEqualTo("3d");
        assertThat(StatusPage.millis(Duration.ofNanos(1_234_567))).isEqualTo("1.2 ms");
        assertThat(StatusPage.millis(Duration.ofMillis(1234))).isEqualTo("1234 ms");
        assertThat(Probe.format(Duration.ofMillis(12_000))).isEqualTo("12s");
        assertThat(Probe.format(Duration.ofMillis(4_800))).isEqualTo("4.8s");
        assertThat(Probe.format(Duration.ofMillis(800))).isEqualTo("800ms");
    }
}
