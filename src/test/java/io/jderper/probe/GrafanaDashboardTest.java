package io.jderper.probe;

import io.jderper.key.MeshKeySource;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/grafana-dashboard.json (and its copy in the Helm chart) queries only metrics that exist: every metric name in
 * its PromQL is one a running server shows on /actuator/prometheus (with Micrometer's _total on counters) or a
 * running prober shows on /metrics. Both are scraped live here, the prober probing this server.
 */
class GrafanaDashboardTest extends DerpServerTestBase {
    @org.springframework.beans.factory.annotation.Autowired
    io.jderper.stun.StunServer stun;

    static final Path DASHBOARD = Path.of("docs", "grafana-dashboard.json");
    static final Path CHART_COPY = Path.of("helm", "jderper", "dashboards", "jderper.json");
    /** A metric name: starts a selector, is not a function call, a keyword or a label name. */
    static final Pattern NAME = Pattern.compile("(?<![\\w\"=~!:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?!\\w|\\s*\\()");
    static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "le", "inf", "nan", "time");

    @Test
    void chartShipsTheSameDashboard() throws Exception {
        assertThat(Files.readString(CHART_COPY)).isEqualTo(Files.readString(DASHBOARD));
    }

    /** Scraped once for the class: the server's and the prober's sample names. */
    private static Set<String> exposedNames;

    private synchronized Set<String> exposed() throws Exception {
        if (exposedNames == null) {
            exposedNames = scrapeAll();
        }
        return exposedNames;
    }

    @Test
    void everyQueriedMetricIsExposed() throws Exception {
        Set<String> exposed = exposed();
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
        List<String> queries = new ArrayList<>();
        collectQueries(dashboard, queries);
        assertThat(queries).as("the dashboard's queries").hasSizeGreaterThan(10);
        Set<String> used = new TreeSet<>();
        queries.forEach(q -> used.addAll(metricNames(q)));
        assertThat(used).as("metric names in the dashboard's queries").anyMatch(n -> n.startsWith("derp_"))
                .anyMatch(n -> n.startsWith("derpprobe_"));
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exposed);
        assertThat(missing).as("queried but exposed neither by the server nor by the prober (see target/exposed-metric-names.txt)")
                .isEmpty();
    }

    /** The example alert rules in docs/monitoring.md are valid YAML and use only metrics that exist (and {@code up}). */
    @Test
    void alertRulesInTheMonitoringDocUseExposedMetrics() throws Exception {
        String doc = Files.readString(Path.of("docs", "monitoring.md"));
        Matcher block = Pattern.compile("```yaml\n(groups:.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(block.find()).as("a yaml block with alert rule groups").isTrue();
        Object tree = new org.yaml.snakeyaml.Yaml().load(block.group(1));
        List<String> exprs = new ArrayList<>();
        for (Object group : (List<?>) ((java.util.Map<?, ?>) tree).get("groups")) {
            for (Object rule : (List<?>) ((java.util.Map<?, ?>) group).get("rules")) {
                java.util.Map<?, ?> r = (java.util.Map<?, ?>) rule;
                assertThat(r.get("alert")).as("alert name").isNotNull();
                exprs.add(String.valueOf(r.get("expr")));
            }
        }
        assertThat(exprs).hasSizeGreaterThan(5);
        Set<String> used = new TreeSet<>();
        exprs.forEach(e -> used.addAll(metricNames(e)));
        used.remove("up");
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(exposed());
        assertThat(missing).as("metrics in the example alert rules that nothing exposes").isEmpty();
    }

    private Set<String> scrapeAll() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Set<String> exposed = new TreeSet<>(sampleNames(http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort() + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body()));
        // This (plain-HTTP) server in one region; a TLS listener in another, for the TLS probe's metrics.
        Path dir = Files.createTempDirectory("dashboard-test");
        TestPki pki = TestPki.ca("dashboard test CA");
        TestPki.Leaf leaf = pki.leaf("127.0.0.1");
        Path map = dir.resolve("derpmap.json");
        try (TestTlsServer tls = new TestTlsServer()) {
            int tlsPort = tls.serve(leaf.key().getPrivate(), leaf.cert(), pki.caCertificate());
            Files.writeString(map, """
                    {"Regions": {
                      "900": {"RegionID": 900, "RegionCode": "t", "Nodes": [
                        {"Name": "self", "HostName": "127.0.0.1", "IPv4": "127.0.0.1", "DERPPort": %d, "STUNPort": %d}]},
                      "901": {"RegionID": 901, "RegionCode": "tls", "Nodes": [
                        {"Name": "tls", "HostName": "127.0.0.1", "DERPPort": %d, "STUNPort": -1}]}}}
                    """.formatted(port(), stun.localAddress().getPort(), tlsPort));
            scrapeProber(http, map, pki.writeCa(dir.resolve("ca.pem")), exposed);
        }
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "exposed-metric-names.txt"), exposed);
        return exposed;
    }

    /** Runs a prober with every probe class against the map until each class has results, then scrapes it. */
    private void scrapeProber(HttpClient http, Path map, Path ca, Set<String> exposed) throws Exception {
        // The plain-HTTP node: -derp-http does not apply to the TLS-only node, which has no DERP to probe anyway.
        try (ProbeService prober = ProbeService.start(new ProbeSettings(map.toUri().toString(), "127.0.0.1:0", false, false,
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(3), 100_000, 10, Duration.ofSeconds(1), "900", MeshKeySource.fixed(Optional.of(MESH_KEY)), ca, true), null);
             ProbeService tlsProber = ProbeService.start(new ProbeSettings(map.toUri().toString(), "127.0.0.1:0", false, false,
                Duration.ofSeconds(2), Duration.ZERO, Duration.ZERO, Duration.ofSeconds(2),
                Duration.ZERO, 1, 0, Duration.ofSeconds(1), "901", MeshKeySource.fixed(Optional.empty()), ca, false), null)) {
            String self = "derp/t/self";
            ProbeTesting.awaitSuccess(prober.prober(), Duration.ofSeconds(60), self + "/self/mesh", self + "/self/bw", self + "/udp");
            ProbeTesting.awaitSuccess(tlsProber.prober(), Duration.ofSeconds(60), "derp/tls/tls/tls");
            for (ProbeService p : List.of(prober, tlsProber)) {
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.httpAddress().getPort()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                exposed.addAll(sampleNames(metrics));
            }
        }
    }

    @Test
    void nameExtractionIgnoresFunctionsLabelsAndKeywords() {
        assertThat(metricNames("sum by (region, name) (rate(derpprobe_attempts_total{status=\"fail\",class=~\"tls|derp_udp\"}[5m]))"
                + " / on(name) group_left sum(histogram_quantile(0.9, rate(derpprobe_derp_qd_probe_delays_seconds_bucket[$__rate_interval]))) > bool 0"))
                .containsExactlyInAnyOrder("derpprobe_attempts_total", "derpprobe_derp_qd_probe_delays_seconds_bucket");
        assertThat(metricNames("(derpprobe_tls_earliest_cert_expiry_secs - time()) / 86400")).containsExactly("derpprobe_tls_earliest_cert_expiry_secs");
    }

    static void collectQueries(JsonNode node, List<String> out) {
        if (node.isObject()) {
            JsonNode expr = node.get("expr");
            if (expr != null && expr.isString()) {
                out.add(expr.asString());
            }
            JsonNode query = node.get("query");
            if (query != null && query.isString() && node.has("datasource")) {
                out.add(query.asString());
            }
            node.properties().forEach(e -> collectQueries(e.getValue(), out));
        } else if (node.isArray()) {
            node.forEach(n -> collectQueries(n, out));
        }
    }

    static Set<String> metricNames(String promql) {
        // Label matchers, grouping clauses, ranges, strings and Grafana variables hold no metric names.
        String q = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
                .replaceAll("\\$\\{?\\w+}?", " ")
                .replaceAll("label_values\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(q);
        while (m.find()) {
            String n = m.group(1);
            if (!PROMQL_WORDS.contains(n) && !n.matches("\\d.*")) {
                names.add(n);
            }
        }
        return names;
    }

    static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
