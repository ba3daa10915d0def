package io.jderper.ops;

import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart gives a terminating pod enough time for the readiness grace and the drain, with room for the rest. */
class ShutdownBudgetTest {

    @Test
    @SuppressWarnings("unchecked")
    void terminationGracePeriodCoversReadinessGraceAndDrain() throws Exception {
        Map<String, Object> values = new Yaml().load(Files.readString(Path.of("helm/jderper/values.yaml")));
        Map<String, Object> relay = (Map<String, Object>) ((Map<String, Object>) values.get("derper")).get("relay");
        Duration grace = DurationStyle.detectAndParse(String.valueOf(relay.get("readiness-grace")));
        Duration drain = DurationStyle.detectAndParse(String.valueOf(relay.get("drain-period")));
        Duration budget = Duration.ofSeconds(((Number) values.get("terminationGracePeriodSeconds")).longValue());
        assertThat(grace).isPositive();
        assertThat(budget).isGreaterThanOrEqualTo(grace.plus(drain).plusSeconds(10));
    }
}
