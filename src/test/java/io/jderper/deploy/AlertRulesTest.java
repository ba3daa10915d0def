package io.jderper.deploy;

import io.jderper.deploy.HelmChart.Manifests;
import io.jderper.testsupport.ExternalTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.jderper.deploy.HelmChart.FULLNAME;
import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.list;
import static io.jderper.deploy.YamlTrees.map;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.maps;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alerts of docs/monitoring.md and the chart's PrometheusRule are one set of rules (helm/jderper/rules), valid
 * for Prometheus (promtool check rules) and doing what they say (promtool test rules with
 * src/test/resources/prometheus/jderper-alerts-test.yaml).
 */
class AlertRulesTest {

    static final Path RULES = HelmChart.CHART.resolve("rules/jderper-alerts.yaml");
    static final Path RULE_TESTS = Path.of("src/test/resources/prometheus/jderper-alerts-test.yaml").toAbsolutePath();

    @TempDir
    Path work;

    @Test
    void theDocumentedRulesAreTheChartsRules() {
        String doc = ContainerFilesTest.read(ContainerFilesTest.ROOT.resolve("docs/monitoring.md"));
        Matcher block = Pattern.compile("```yaml\\n(groups:\\n.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(block.find()).as("a groups: block in docs/monitoring.md").isTrue();
        assertThat(YamlTrees.load(block.group(1))).isEqualTo(YamlTrees.load(RULES));
    }

    @Test
    void thePrometheusRuleCarriesTheRulesUnchanged() {
        Manifests m = HelmChart.render(work, HelmChart.ciValues("meshed-values.yaml"));
        Map<String, Object> rule = m.one("PrometheusRule", FULLNAME);
        assertThat(stringAt(rule, "apiVersion")).isEqualTo("monitoring.coreos.com/v1");
        assertThat(mapAt(rule, "spec")).isEqualTo(YamlTrees.load(RULES));
        assertThat(mapAt(rule, "metadata.labels")).containsEntry("release", "prometheus");
        assertThat(HelmChart.render(work, HelmChart.ciValues("default-values.yaml")).all("PrometheusRule")).isEmpty();
    }

    @Test
    void theScrapeJobsAreTheJobsTheRulesName() {
        Manifests m = HelmChart.render(work, Map.of("prober", Map.of("enabled", true, "serviceMonitor", Map.of("enabled", true))),
                HelmChart.ciValues("meshed-values.yaml"));
        Set<String> jobs = new TreeSet<>();
        for (Map<String, Object> monitor : m.all("ServiceMonitor")) {
            String jobLabel = stringAt(monitor, "spec.jobLabel");
            assertThat(jobLabel).as("ServiceMonitor %s: jobLabel", stringAt(monitor, "metadata.name")).isNotNull();
            Map<String, Object> selector = mapAt(monitor, "spec.selector.matchLabels");
            List<Map<String, Object>> selected = m.all("Service").stream()
                    .filter(s -> mapAt(s, "metadata.labels").entrySet().containsAll(selector.entrySet())).toList();
            assertThat(selected).hasSize(1);
            jobs.add(String.valueOf(mapAt(selected.get(0), "metadata.labels").get(jobLabel)));
        }
        Matcher job = Pattern.compile("job=\"([^\"]+)\"").matcher(ContainerFilesTest.read(RULES));
        Set<String> named = new TreeSet<>();
        while (job.find()) {
            named.add(job.group(1));
        }
        assertThat(jobs).isEqualTo(named).containsExactlyInAnyOrder("jderper", "derpprobe");
    }

    @Test
    void promtoolAcceptsTheRenderedRules() throws Exception {
        Path promtool = ExternalTools.require("promtool");
        Manifests m = HelmChart.render(work, Map.of("prometheusRule", Map.of("enabled", true)));
        Path file = Files.writeString(work.resolve("rendered-rules.yaml"),
                YamlTrees.dump(mapAt(m.one("PrometheusRule", FULLNAME), "spec")));
        Result r = run(promtool.toString(), "check", "rules", file.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: " + alertNames().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsOfTheAlertsPass() throws Exception {
        Path promtool = ExternalTools.require("promtool");
        Files.copy(RULES, work.resolve("jderper-alerts.yaml"));
        Path tests = Files.copy(RULE_TESTS, work.resolve("jderper-alerts-test.yaml"));
        Result r = run(promtool.toString(), "test", "rules", tests.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestThatMakesItFire() {
        Set<String> firing = new TreeSet<>();
        for (Map<String, Object> test : maps(YamlTrees.load(RULE_TESTS).get("tests"))) {
            for (Map<String, Object> case_ : maps(test.get("alert_rule_test"))) {
                if (!list(case_.get("exp_alerts")).isEmpty()) {
                    firing.add((String) case_.get("alertname"));
                }
            }
        }
        assertThat(firing).isEqualTo(alertNames());
    }

    @Test
    void promtoolRejectsABrokenRule() throws Exception {
        // The check above can fail: a rule with a syntax error is refused.
        Path promtool = ExternalTools.require("promtool");
        Path file = Files.writeString(work.resolve("broken.yaml"), """
                groups:
                  - name: broken
                    rules:
                      - alert: Broken
                        expr: rate(derp_packets_dropped_total[10m] > 1
                """);
        Result r = run(promtool.toString(), "check", "rules", file.toString());
        assertThat(r.exitCode()).isNotZero();
    }

    static Set<String> alertNames() {
        return maps(YamlTrees.load(RULES).get("groups")).stream()
                .flatMap(g -> maps(g.get("rules")).stream())
                .map(r -> (String) r.get("alert"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    record Result(int exitCode, String output) {
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
