package io.jderper.probe;

import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.ExternalTools;
import io.jderper.testsupport.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prober against real jderper nodes: two meshed nodes, each in its own JVM (as in production) with TLS from a
 * test CA and STUN on its own loopback address, and one dead node that nothing answers for. TLS, STUN, mesh and bandwidth probes of the live
 * nodes succeed, every probe touching the dead node fails, and the metrics, the JSON status and the status page as
 * rendered by headless Chromium all say so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProberIntegrationTest {
    static final String A = "127.0.0.2";
    static final String B = "127.0.0.3";
    static final String DEAD = "127.0.0.4";
    static final String REGION = "it";
    static final int BW_SIZE = 200_000;
    static final Path ARTIFACTS = Path.of("target", "prober-it");
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Path dir;
    Path mapFile;
    Path caFile;
    Path meshKeyFile;
    NodeProcess a;
    NodeProcess b;
    int deadPort;
    ProbeService prober;
    String base;

    @BeforeAll
    void startNodesAndProber() throws Exception {
        dir = Files.createTempDirectory("jderper-prober-it");
        TestPki pki = TestPki.ca("jderper prober test CA");
        caFile = pki.writeCa(dir.resolve("ca.pem"));
        meshKeyFile = Files.writeString(dir.resolve("mesh.key"), DerpServerTestBase.MESH_KEY_HEX + "\n");

        int portA = NodeProcess.freeTcpPort(A);
        int portB = NodeProcess.freeTcpPort(B);
        deadPort = NodeProcess.freeTcpPort(DEAD);
        int stunA = NodeProcess.freeUdpPort(A);
        int stunB = NodeProcess.freeUdpPort(B);
        int stunDead = NodeProcess.freeUdpPort(DEAD);
        pki.writeManual(dir.resolve("certs-a"), A, pki.leaf(A));
        pki.writeManual(dir.resolve("certs-b"), B, pki.leaf(B));
        String meshWith = A + ":" + portA + "," + B + ":" + portB;
        List<String> jvm = List.of();
        a = NodeProcess.start("node-a", A, portA, jvm, nodeArgs(A, portA, stunA, "a", meshWith), ARTIFACTS);
        b = NodeProcess.start("node-b", B, portB, jvm, nodeArgs(B, portB, stunB, "b", meshWith), ARTIFACTS);
        a.awaitListening(Duration.ofSeconds(180));
        b.awaitListening(Duration.ofSeconds(180));

        mapFile = Files.writeString(dir.resolve("derpmap.json"), """
                {"Regions": {"900": {"RegionID": 900, "RegionCode": "%s", "RegionName": "Integration", "Nodes": [
                  {"Name": "a", "RegionID": 900, "HostName": "%s", "IPv4": "%s", "DERPPort": %d, "STUNPort": %d},
                  {"Name": "b", "RegionID": 900, "HostName": "%s", "IPv4": "%s", "DERPPort": %d, "STUNPort": %d},
                  {"Name": "dead", "RegionID": 900, "HostName": "%s", "IPv4": "%s", "DERPPort": %d, "STUNPort": %d}
                ]}}}
                """.formatted(REGION, A, A, portA, stunA, B, B, portB, stunB, DEAD, DEAD, deadPort, stunDead));

        // Spread as by default: the probes' attempts are staggered over their intervals instead of all at once.
        prober = ProbeService.start(new ProbeSettings(mapFile.toUri().toString(), "127.0.0.1:0", false, true,
                Duration.ofSeconds(5), Duration.ofSeconds(6), Duration.ofSeconds(6), Duration.ofSeconds(6),
                Duration.ofSeconds(10), BW_SIZE, 10, Duration.ofSeconds(2), "",
                MeshKeySource.fixed(Optional.of(MeshKey.parse(DerpServerTestBase.MESH_KEY_HEX))), caFile, false), null);
        base = "http://127.0.0.1:" + prober.httpAddress().getPort();
    }

    private List<String> nodeArgs(String address, int port, int stunPort, String name, String meshWith) {
        return List.of(
                "--derper.listen=" + address + ":" + port,
                "--derper.hostname=" + address,
                "--derper.tls.mode=manual",
                "--derper.tls.cert-dir=" + dir.resolve("certs-" + name),
                "--derper.key-file=" + dir.resolve(name + ".key"),
                "--derper.http.port=-1",
                "--derper.stun.port=" + stunPort,
                "--derper.mesh.key-file=" + meshKeyFile,
                "--derper.mesh.with=" + meshWith,
                "--derper.mesh.ca-file=" + caFile,
                "--derper.relay.drain-period=0s",
                "--derper.relay.restart-reconnect-in=0s",
                "--management.server.port=0",
                "--management.server.address=" + address);
    }

    @AfterAll
    void stop() throws Exception {
        if (prober != null) {
            prober.close();
        }
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    static String p(String... parts) {
        return "derp/" + REGION + "/" + String.join("/", parts);
    }

    List<String> liveProbes() {
        return List.of(p("a", "tls"), p("b", "tls"), p("a", "udp"), p("b", "udp"),
                p("a", "a", "mesh"), p("b", "b", "mesh"), p("a", "b", "mesh"), p("b", "a", "mesh"),
                p("a", "a", "bw"), p("b", "b", "bw"), p("a", "b", "bw"), p("b", "a", "bw"));
    }

    static List<String> deadProbes() {
        return List.of(p("dead", "tls"), p("dead", "udp"), p("dead", "dead", "mesh"), p("a", "dead", "mesh"),
                p("dead", "a", "mesh"), p("dead", "b", "mesh"), p("b", "dead", "bw"));
    }

    void awaitSteadyState() throws InterruptedException {
        ProbeTesting.awaitSuccess(prober.prober(), Duration.ofSeconds(240), liveProbes().toArray(String[]::new));
        ProbeTesting.awaitFailure(prober.prober(), Duration.ofSeconds(90), deadProbes().toArray(String[]::new));
    }

    /**
     * The probes keep running, so a live probe on this loaded machine may time out just when the view is read: an
     * assertion on a view is retried over a few intervals before it counts as failed.
     */
    void eventually(Consumer<Void> assertion) throws InterruptedException {
        AssertionError last = null;
        for (int i = 0; i < 10; i++) {
            try {
                assertion.accept(null);
                return;
            } catch (AssertionError e) {
                last = e;
                Thread.sleep(3000);
            }
        }
        throw last;
    }

    @Test
    void liveNodesSucceedAndTheDeadNodeFails() throws Exception {
        awaitSteadyState();
        eventually(x -> {
            Map<String, ProbeInfo> probes = prober.prober().probeInfo();
            liveProbes().forEach(n -> assertThat(probes.get(n).lastResult()).as(n + ": " + probes.get(n).error())
                    .isEqualTo(ProbeInfo.SUCCEEDED));
            deadProbes().forEach(n -> assertThat(probes.get(n).lastResult()).as(n).isEqualTo(ProbeInfo.FAILED));
            assertThat(probes.get(p("a", "tls")).detail()).startsWith("certificate expires in 8");
            assertThat(probes.get(p("a", "udp")).detail()).startsWith("mapped address 127.");
            assertThat(probes.get(p("dead", "tls")).error()).contains(DEAD).contains("Connection refused");
            assertThat(probes.get(p("dead", "udp")).error()).contains("timeout");
        });
        Map<String, ProbeInfo> probes = prober.prober().probeInfo();
        assertThat(probes.get(p("a", "a", "mesh")).labels()).containsEntry("derp_path", "single");
        assertThat(probes.get(p("a", "dead", "mesh")).labels()).containsEntry("derp_path", "mesh").containsEntry("hostname", A);
        assertThat(probes.get(p("a", "udp")).labels()).containsEntry("address_family", "ipv4");
        assertThat(probes).doesNotContainKey(p("a", "udp6"));
        assertThat(probes.get(p("a", "a", "qd")).continuous()).isTrue();
    }

    @Test
    void metricsCarryTheOriginalNamesAndSayWhichProbesFail() throws Exception {
        awaitSteadyState();
        eventually(x -> {
            String metrics = get("/metrics").body();
            assertThat(metrics).contains("# TYPE derpprobe_result gauge", "# TYPE derpprobe_attempts_total counter",
                    "# TYPE derpprobe_derp_qd_probe_delays_seconds histogram");
            assertThat(metrics).contains(sample("result", p("a", "tls"), "tls", Map.of()) + " 1");
            assertThat(metrics).contains(sample("result", p("a", "udp"), "derp_udp", Map.of("address_family", "ipv4")) + " 1");
            assertThat(metrics).contains(sample("result", p("a", "a", "mesh"), "derp_mesh", Map.of("derp_path", "single")) + " 1");
            assertThat(metrics).contains(sample("result", p("dead", "tls"), "tls", Map.of(), DEAD) + " 0");
            assertThat(metrics).contains(sample("result", p("dead", "udp"), "derp_udp", Map.of("address_family", "ipv4"), DEAD) + " 0");
            assertThat(metrics).contains(sample("result", p("a", "dead", "mesh"), "derp_mesh", Map.of("derp_path", "mesh")) + " 0");
            assertThat(metrics).contains(sample("result", p("a", "b", "mesh"), "derp_mesh", Map.of("derp_path", "mesh")) + " 1");
            assertThat(metrics).containsPattern("derpprobe_derp_qd_probe_delays_seconds_count\\{[^}]*name=\"derp/it/a/b/qd\"[^}]*} [1-9]");
            assertThat(metrics).containsPattern("derpprobe_latency_millis\\{class=\"tls\",hostname=\"127\\.0\\.0\\.2\",name=\"derp/it/a/tls\",region=\"it\",region_id=\"900\"} \\d+");
            assertThat(metrics).containsPattern("derpprobe_attempts_total\\{class=\"tls\",hostname=\"127\\.0\\.0\\.4\",name=\"derp/it/dead/tls\",region=\"it\",region_id=\"900\",status=\"fail\"} [1-9]");
            assertThat(metrics).containsPattern("derpprobe_tls_earliest_cert_expiry_secs\\{[^}]*name=\"derp/it/a/tls\"[^}]*} \\d{10}");
            assertThat(metrics).contains(sample("derp_bw_probe_size_bytes", p("a", "a", "bw"), "derp_bw",
                    Map.of("derp_path", "single", "tcp_in_tcp", "false")) + " " + BW_SIZE);
            assertThat(metrics).containsPattern("derpprobe_derp_bw_transfer_time_seconds_total\\{[^}]*name=\"derp/it/a/a/bw\"[^}]*} 0\\.\\d+|[1-9]");
            assertThat(metrics).containsPattern("derpprobe_derp_qd_probe_delays_seconds_count\\{[^}]*name=\"derp/it/a/a/qd\"[^}]*} [1-9]");
            assertThat(metrics).containsPattern("derpprobe_derp_qd_probe_delays_seconds_bucket\\{[^}]*le=\"\\+Inf\"[^}]*name=\"derp/it/a/a/qd\"");
            assertThat(metrics).contains("derpprobe_result{class=\"derp_map\",name=\"derpmap-probe\"} 1");
        });
        assertThat(get("/debug/varz").body()).contains("derpprobe_result");
        assertThat(get("/healthz").body()).isEqualTo("ok\n");
    }

    static String sample(String metric, String name, String className, Map<String, String> classLabels) {
        return sample(metric, name, className, classLabels, name.startsWith("derp/it/a/") ? A : name.startsWith("derp/it/b/") ? B : DEAD);
    }

    static String sample(String metric, String name, String className, Map<String, String> classLabels, String host) {
        java.util.TreeMap<String, String> labels = new java.util.TreeMap<>(classLabels);
        labels.put("class", className);
        labels.put("name", name);
        labels.put("hostname", host);
        labels.put("region", REGION);
        labels.put("region_id", "900");
        StringBuilder sb = new StringBuilder("derpprobe_" + metric + "{");
        labels.forEach((k, v) -> sb.append(k).append("=\"").append(v).append("\","));
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    @Test
    void jsonStatusListsFailingProbesFirst() throws Exception {
        awaitSteadyState();
        eventually(x -> {
            HttpResponse<String> r = get("/status.json");
            assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
            JsonNode doc = JSON.readTree(r.body());
            assertThat(doc.get("failing").asInt()).isGreaterThanOrEqualTo(deadProbes().size());
            List<String> results = new ArrayList<>();
            doc.get("probes").forEach(n -> results.add(n.get("lastResult").asString()));
            int lastFailed = results.lastIndexOf(ProbeInfo.FAILED);
            int firstOk = results.indexOf(ProbeInfo.SUCCEEDED);
            assertThat(lastFailed).isLessThan(firstOk);
            JsonNode deadTls = find(doc, p("dead", "tls"));
            assertThat(deadTls.get("class").asString()).isEqualTo("tls");
            assertThat(deadTls.get("error").asString()).contains(DEAD);
            assertThat(deadTls.get("ageSeconds").asDouble()).isLessThan(60);
            JsonNode aTls = find(doc, p("a", "tls"));
            assertThat(aTls.get("lastResult").asString()).isEqualTo(ProbeInfo.SUCCEEDED);
            assertThat(aTls.get("latencyMillis").asDouble()).isPositive();
            assertThat(aTls.get("labels").get("hostname").asString()).isEqualTo(A);
        });
        HttpResponse<String> negotiated = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/"))
                .header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(negotiated.body()).get("probes").isArray()).isTrue();
    }

    private static JsonNode find(JsonNode doc, String name) {
        for (JsonNode n : doc.get("probes")) {
            if (n.get("name").asString().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no probe " + name + " in the JSON status");
    }

    @Test
    void runProbeEndpointRunsOneProbeNow() throws Exception {
        awaitSteadyState();
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/debug/probe-run?name=" + p("dead", "tls"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(424);
        assertThat(bad.body()).startsWith("Probe failed: ").contains(DEAD);
        HttpResponse<String> unknown = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/debug/probe-run?name=nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
        HttpResponse<String> json = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/debug/probe-run"))
                .header("Accept", "application/json").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("name=" + p("dead", "udp"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).isEqualTo(424);
        assertThat(JSON.readTree(json.body()).get("ProbeInfo").get("lastResult").asString()).isEqualTo(ProbeInfo.FAILED);
    }

    /** The status page as a browser renders it, with JavaScript switched off: it must not need any. */
    @Test
    void statusPageRendersInHeadlessChromium() throws Exception {
        Path chromium = ExternalTools.require("chromium");
        Path chromedriver = ExternalTools.require("chromedriver");
        awaitSteadyState();
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1600,1400", "--user-data-dir=" + profile);
        options.setExperimentalOption("prefs", Map.of("profile.managed_default_content_settings.javascript", 2));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        try {
            eventually(x -> {
                driver.get(base + "/");
                assertThat(driver.getTitle()).contains("DERP Prober").contains("failing");
                WebElement summary = driver.findElement(By.id("summary"));
                assertThat(summary.getText()).matches("\\d+ of \\d+ probes failing");
                assertThat(summary.getCssValue("color")).isEqualTo("rgba(176, 0, 32, 1)");
                List<WebElement> rows = driver.findElements(By.cssSelector("#probes tbody tr"));
                assertThat(rows).hasSizeGreaterThanOrEqualTo(liveProbes().size() + deadProbes().size());
                List<String> order = rows.stream().map(r -> r.getAttribute("data-result")).toList();
                assertThat(order.lastIndexOf(ProbeInfo.FAILED)).isLessThan(order.indexOf(ProbeInfo.SUCCEEDED));
                for (String dead : deadProbes()) {
                    WebElement row = row(driver, dead);
                    assertThat(row.findElement(By.cssSelector("td.result")).getText()).startsWith("FAILED");
                    assertThat(row.findElement(By.cssSelector("td.result")).getCssValue("color")).isEqualTo("rgba(176, 0, 32, 1)");
                    assertThat(row.findElement(By.cssSelector("td.error")).getText()).isNotBlank();
                    assertThat(row.findElement(By.cssSelector("td.age")).getText()).endsWith("s ago");
                }
                for (String live : liveProbes()) {
                    WebElement row = row(driver, live);
                    assertThat(row.findElement(By.cssSelector("td.result")).getText()).as(live).startsWith("OK");
                    assertThat(row.findElement(By.cssSelector("td.latency")).getText()).as(live).endsWith(" ms");
                    assertThat(row.findElement(By.cssSelector("td.error")).getText()).as(live).isEmpty();
                }
                WebElement tls = row(driver, p("a", "tls"));
                assertThat(tls.findElement(By.cssSelector("td.class")).getText()).startsWith("tls").contains("hostname=" + A);
                assertThat(tls.findElement(By.cssSelector("td.result .detail")).getText()).startsWith("certificate expires in");
                assertThat(row(driver, p("dead", "tls")).findElement(By.cssSelector("td.error")).getText()).contains(DEAD);
            });
            Files.createDirectories(ARTIFACTS);
            Files.write(ARTIFACTS.resolve("status-page.png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            Files.writeString(ARTIFACTS.resolve("status-page.html"), driver.getPageSource());
        } finally {
            driver.quit();
        }
    }

    private static WebElement row(ChromeDriver driver, String name) {
        return driver.findElement(By.cssSelector("#probes tbody tr[data-name='" + name + "']"));
    }

    /** -once as derpprobe: every probe once, good:/bad: lines, exit status 1 because the dead node fails. */
    @Test
    void onceModePrintsGoodAndBadAndExitsNonZero() throws Exception {
        a.awaitListening(Duration.ofSeconds(5));
        // A single attempt of a live probe can time out on a loaded machine; a second run settles that.
        String printed = "";
        int code = -1;
        for (int attempt = 0; attempt < 3; attempt++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            code = ProbeCommand.run(new String[] {"-once", "-spread=false", "-derp-map", mapFile.toUri().toString(),
                            "-tls-ca-file", caFile.toString(), "-mesh-psk-file", meshKeyFile.toString(), "--interval=10s",
                            "-mesh-interval", "10s", "-stun-interval", "10s", "-tls-interval=10s"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                    k -> null);
            printed = out.toString(StandardCharsets.UTF_8);
            if (printed.contains("good: " + p("a", "tls") + ": ") && printed.contains("good: " + p("b", "udp") + ": ")
                    && printed.contains("good: " + p("a", "b", "mesh") + ": ")) {
                break;
            }
        }
        assertThat(code).as("stdout:%n%s", printed).isEqualTo(1);
        assertThat(printed).contains("good: " + p("a", "tls") + ": ", "good: " + p("b", "udp") + ": ",
                "good: " + p("a", "b", "mesh") + ": ", "good: derpmap-probe: ",
                "bad: " + p("dead", "tls") + ": ", "bad: " + p("dead", "udp") + ": timeout");
        assertThat(printed).doesNotContain("/bw", "/qd");
        List<String> lines = printed.lines().toList();
        assertThat(lines).allMatch(l -> l.startsWith("good: ") || l.startsWith("bad: "));
        int lastGood = -1;
        int firstBad = lines.size();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("good: ")) {
                lastGood = i;
            } else {
                firstBad = Math.min(firstBad, i);
            }
        }
        assertThat(lastGood).as("good lines come first, as the original prints them").isLessThan(firstBad);
    }

    private HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
