package io.jderper.deploy;

import io.jderper.config.RelayProperties;
import io.jderper.deploy.HelmChart.Manifests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.convert.DurationStyle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * On SIGTERM a node fails readiness, waits derper.relay.readiness-grace, sends Restarting frames, closes its clients
 * spread over derper.relay.drain-period, then stops mesh links and the web server. The kubelet kills the pod
 * terminationGracePeriodSeconds after SIGTERM, and Spring gives up on a lifecycle phase after
 * spring.lifecycle.timeout-per-shutdown-phase: both must leave the drain room, or clients are cut off instead of moved.
 */
class ShutdownChartTest {

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"default-values.yaml", "meshed-values.yaml"})
    void terminationGraceCoversReadinessGraceDrainAndMargin(String file) {
        Manifests m = HelmChart.render(work, HelmChart.ciValues(file));
        // What the application will use: the rendered config bound as the application binds it.
        RelayProperties relay = (RelayProperties) ChartPropertiesTest.bind(m.applicationConfigText(), "0").get("derper.relay");
        Duration drain = relay.readinessGrace().plus(relay.drainPeriod());
        int margin = ((Number) at(HelmChart.defaultValues(), "shutdown.marginSeconds")).intValue();
        Duration termination = Duration.ofSeconds(((Number) at(m.podSpec(), "terminationGracePeriodSeconds")).longValue());
        Duration phase = DurationStyle.detectAndParse(stringAt(m.applicationConfig(), "spring.lifecycle.timeout-per-shutdown-phase"));
        assertThat(drain).as("the chart's example keeps a readiness grace").isGreaterThan(relay.drainPeriod());
        assertThat(phase).as("Spring's phase timeout").isGreaterThanOrEqualTo(drain.plusSeconds(margin));
        assertThat(termination).as("terminationGracePeriodSeconds").isGreaterThanOrEqualTo(drain.plusSeconds(margin))
                .isGreaterThanOrEqualTo(phase.plusSeconds(margin));
    }

    @Test
    void autoIsExactlyTheSumAndFollowsTheDrainPeriod() {
        Manifests m = HelmChart.render(work, Map.of("terminationGracePeriodSeconds", "auto",
                "derper", Map.of("relay", Map.of("readiness-grace", "15s", "drain-period", "2m"))));
        assertThat(at(m.podSpec(), "terminationGracePeriodSeconds")).isEqualTo(15 + 120 + 2 * 10);
        assertThat(stringAt(m.applicationConfig(), "spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("145s");
    }

    @Test
    void millisecondsRoundUp() {
        Manifests m = HelmChart.render(work, Map.of("terminationGracePeriodSeconds", "auto", "shutdown", Map.of("marginSeconds", 0),
                "derper", Map.of("relay", Map.of("readiness-grace", "500ms", "drain-period", "1500"))));
        assertThat(at(m.podSpec(), "terminationGracePeriodSeconds")).isEqualTo(1 + 2);
    }

    @Test
    void aTerminationGraceShorterThanTheDrainFailsWithTheSum() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("terminationGracePeriodSeconds", 20)))
                .hasMessageContaining("terminationGracePeriodSeconds (20) is shorter than the shutdown")
                .hasMessageContaining("= 35s");
    }

    @Test
    void aDrainPeriodTheChartCannotReadFailsNamingIt() {
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("derper", Map.of("relay", Map.of("drain-period", "PT10S")))))
                .hasMessageContaining("derper.relay.drain-period: the chart reads durations like 10s");
    }

    @Test
    void theChartsPhaseTimeoutCannotBeOverriddenByExtraConfig() {
        Manifests m = HelmChart.render(work, Map.of("extraConfig",
                Map.of("spring", Map.of("lifecycle", Map.of("timeout-per-shutdown-phase", "5s")))));
        assertThat(stringAt(m.applicationConfig(), "spring.lifecycle.timeout-per-shutdown-phase")).isEqualTo("25s");
    }
}
