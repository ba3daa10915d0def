package io.jderper.load;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the load tool briefly against a whole server on loopback and checks its JSON result. */
class LoadToolTest extends DerpServerTestBase {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long PID = ProcessHandle.current().pid();

    private record Run(int exit, JsonNode json, String stderr) {
    }

    private Run load(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = derpUrl().toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int exit = LoadTool.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8).trim();
        assertThat(stdout.lines().count()).as("exactly one JSON line on stdout: %s", stdout).isLessThanOrEqualTo(1);
        return new Run(exit, stdout.isEmpty() ? null : JSON.readTree(stdout), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void pacedPairsReportCountsLatencyAndServerUsage() {
        Run r = load("--pairs", "2", "--rate", "200", "--size", "1200", "--duration", "1s", "--warmup", "200ms",
                "--progress", "250ms", "--server-pid", Long.toString(PID));
        assertThat(r.exit()).as(r.stderr()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("mode").asString()).isEqualTo("packets");
        assertThat(j.get("connections_ok").asInt()).isEqualTo(4);
        long sent = j.get("sent").asLong();
        long received = j.get("received").asLong();
        assertThat(sent).isPositive();
        assertThat(received).isPositive().isLessThanOrEqualTo(sent);
        assertThat(j.get("lost").asLong()).isEqualTo(sent - received);
        double p50 = j.get("latency_p50_ms").asDouble();
        double p99 = j.get("latency_p99_ms").asDouble();
        assertThat(p50).isPositive();
        assertThat(p99).isGreaterThanOrEqualTo(p50);
        assertThat(j.get("latency_max_ms").asDouble()).isGreaterThanOrEqualTo(p99);
        assertThat(j.get("pkts_per_s").asDouble()).isPositive();
        assertThat(j.get("mbit_per_s").asDouble()).isPositive();
        assertThat(j.get("server_pid").asLong()).isEqualTo(PID);
        assertThat(j.get("server_cpu_s").asDouble()).isNotNegative();
        assertThat(j.get("server_rss_kib_before").asLong()).isPositive();
        assertThat(j.get("server_rss_kib_after").asLong()).isPositive();
        assertThat(j.has("server_cpu_us_per_packet")).isTrue();
        assertThat(r.stderr()).contains("load:");
    }

    @Test
    void flatOutPairDeliversPackets() {
        Run r = load("--pairs", "1", "--rate", "0", "--size", "200", "--duration", "500ms", "--warmup", "0s",
                "--progress", "0");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.json().get("received").asLong()).isPositive();
        assertThat(r.json().get("rate_per_pair").asInt()).isZero();
        assertThat(r.json().has("server_pid")).isFalse();
    }

    @Test
    void idleModeHoldsConnectionsAndReportsTheirCost() {
        Run r = load("--idle", "20", "--duration", "300ms", "--connect-concurrency", "4",
                "--server-pid", Long.toString(PID));
        assertThat(r.exit()).as(r.stderr()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("mode").asString()).isEqualTo("idle");
        assertThat(j.get("connections_ok").asInt()).isEqualTo(20);
        assertThat(j.get("connections_failed").asInt()).isZero();
        assertThat(j.get("connections_open_at_end").asInt()).isEqualTo(20);
        assertThat(j.get("server_setup_cpu_ms_per_conn").asDouble()).isNotNegative();
        assertThat(j.get("server_rss_kib_connected").asLong()).isPositive();
        assertThat(j.has("server_rss_kib_per_conn")).isTrue();
    }

    @Test
    void stormConnectsEveryClientNextToThePairsAndReportsTheirLatencyMeanwhile() {
        Run r = load("--pairs", "2", "--rate", "200", "--duration", "1s", "--warmup", "100ms", "--storm", "30",
                "--connect-concurrency", "8", "--progress", "0", "--server-pid", Long.toString(PID));
        assertThat(r.exit()).as(r.stderr()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("storm_clients").asInt()).isEqualTo(30);
        assertThat(j.get("storm_ok").asInt()).isEqualTo(30);
        assertThat(j.get("storm_failed").asInt()).isZero();
        assertThat(j.get("storm_connect_s").asDouble()).isPositive();
        assertThat(j.get("storm_pairs_sent").asLong()).isLessThanOrEqualTo(j.get("sent").asLong());
        assertThat(j.get("storm_pairs_lost").asLong()).isNotNegative();
        assertThat(j.get("storm_pairs_latency_p99_ms").asDouble())
                .isGreaterThanOrEqualTo(j.get("storm_pairs_latency_p50_ms").asDouble());
        assertThat(j.get("storm_server_cpu_s").asDouble()).isNotNegative();
        assertThat(j.has("storm_server_cpu_us_per_conn")).isTrue();
    }

    @Test
    void stormWithOneKeyReconnectsTheSameClient() {
        Run r = load("--pairs", "1", "--rate", "100", "--duration", "500ms", "--warmup", "0s", "--storm", "10",
                "--storm-same-key", "--connect-concurrency", "4", "--progress", "0");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.json().get("storm_same_key").asBoolean()).isTrue();
        assertThat(r.json().get("storm_ok").asInt()).isEqualTo(10);
    }

    @Test
    void refusesBadOptionsAndNonLoopbackTargets() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(LoadTool.run(new String[]{"--size", "3"}, o, e)).isEqualTo(2);
        assertThat(LoadTool.run(new String[]{"--duration", "2h"}, o, e)).isEqualTo(2);
        assertThat(LoadTool.run(new String[]{"--bogus", "1"}, o, e)).isEqualTo(2);
        assertThat(LoadTool.run(new String[]{"--idle", "5", "--storm", "5"}, o, e)).isEqualTo(2);
        assertThat(LoadTool.run(new String[]{"--url", "http://192.0.2.1/derp"}, o, e)).isEqualTo(2);
        assertThat(LoadTool.run(new String[]{"--url", "ftp://127.0.0.1/derp"}, o, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not a loopback address").contains("usage: jderper load");
    }

    @Test
    void unreachableServerEndsWithAnErrorLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        int exit = LoadTool.run(new String[]{"--url", "http://127.0.0.1:1/derp", "--pairs", "2", "--duration", "1s"}, o, e);
        assertThat(exit).isEqualTo(1);
        JsonNode j = JSON.readTree(out.toString(StandardCharsets.UTF_8).trim());
        assertThat(j.get("connections_ok").asInt()).isZero();
        assertThat(j.get("error").asString()).contains("could not connect");
        assertThat(j.get("first_error").asString()).containsIgnoringCase("refused");
    }

    @Test
    void histogramPercentilesStayWithinBucketError() {
        LatencyHistogram h = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 1000);
        }
        assertThat(h.count()).isEqualTo(100_000);
        assertThat(h.max()).isEqualTo(100_000_000L);
        assertThat((double) h.percentile(0.5)).isCloseTo(50_000_000, org.assertj.core.data.Percentage.withPercentage(2));
        assertThat((double) h.percentile(0.99)).isCloseTo(99_000_000, org.assertj.core.data.Percentage.withPercentage(2));
        assertThat(h.percentile(1.0)).isEqualTo(100_000_000L);
        for (long v : new long[]{0, 1, 63, 64, 65, 1000, 123_456_789, 600_000_000_000L}) {
            long mid = LatencyHistogram.valueAt(LatencyHistogram.index(v));
            assertThat((double) mid).as("bucket of %d", v).isCloseTo((double) v, org.assertj.core.data.Percentage.withPercentage(2));
        }
        // Beyond the range values land in the last bucket; the exact maximum is still kept.
        h.record(Long.MAX_VALUE / 4);
        assertThat(h.max()).isEqualTo(Long.MAX_VALUE / 4);
        assertThat(h.percentile(1.0)).isEqualTo(Long.MAX_VALUE / 4);
    }
}
