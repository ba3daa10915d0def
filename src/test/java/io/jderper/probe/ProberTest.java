package io.jderper.probe;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scheduling, results and metrics of the prober core, with tasks that succeed, fail or hang on purpose. */
class ProberTest {
    final List<Prober> probers = new ArrayList<>();

    Prober prober(boolean once) {
        Prober p = new Prober("derpprobe", false, once);
        probers.add(p);
        return p;
    }

    @AfterEach
    void close() {
        probers.forEach(Prober::close);
    }

    static ProbeClass ok() {
        return ProbeClass.of("test", run -> CompletableFuture.completedFuture(null));
    }

    static ProbeClass failing(String message) {
        return ProbeClass.of("test", run -> CompletableFuture.failedFuture(new ProbeFailure(message)));
    }

    @Test
    void runsEveryIntervalAndRecordsResults() throws Exception {
        Prober p = prober(false);
        AtomicInteger runs = new AtomicInteger();
        p.run("counting", Duration.ofMillis(200), Map.of("region", "x"), ProbeClass.of("test", run -> {
            runs.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }));
        ProbeTesting.await(p, Duration.ofSeconds(10), i -> i.recentResults().size() >= 3, "ran three times", "counting");
        ProbeInfo info = p.probeInfo().get("counting");
        assertThat(info.lastResult()).isEqualTo(ProbeInfo.SUCCEEDED);
        assertThat(info.error()).isEmpty();
        assertThat(info.labels()).containsEntry("name", "counting").containsEntry("class", "test").containsEntry("region", "x");
        assertThat(info.recentSuccessRatio()).isEqualTo(1.0);
        assertThat(runs.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aFailureKeepsItsMessageAndZeroLatency() throws Exception {
        Prober p = prober(false);
        p.run("bad", Duration.ofMillis(200), Map.of(), failing("boom"));
        ProbeTesting.awaitFailure(p, Duration.ofSeconds(10), "bad");
        ProbeInfo info = p.probeInfo().get("bad");
        assertThat(info.error()).isEqualTo("boom");
        assertThat(info.latency()).isZero();
        assertThat(info.failing()).isTrue();
    }

    @Test
    void anAttemptThatIgnoresItsDeadlineTimesOutAtEightyPercentOfTheInterval() throws Exception {
        Prober p = prober(false);
        AtomicBoolean cleaned = new AtomicBoolean();
        p.run("hang", Duration.ofMillis(500), Map.of(), ProbeClass.of("test", run -> {
            run.onEnd(() -> cleaned.set(true));
            return new CompletableFuture<>();
        }));
        ProbeTesting.awaitFailure(p, Duration.ofSeconds(10), "hang");
        assertThat(p.probeInfo().get("hang").error()).isEqualTo("timeout after 400ms");
        assertThat(cleaned).as("the attempt's resources are released at its deadline").isTrue();
    }

    @Test
    void aTaskThatKnowsHowFarItGotGivesItsOwnTimeoutMessage() throws Exception {
        Prober p = prober(false);
        p.run("partial", Duration.ofMillis(500), Map.of(), ProbeClass.of("test", run -> {
            CompletableFuture<Void> f = new CompletableFuture<>();
            run.onEnd(() -> f.completeExceptionally(new ProbeFailure("timeout: received 3 of 5")));
            return f;
        }));
        ProbeTesting.awaitFailure(p, Duration.ofSeconds(10), "partial");
        assertThat(p.probeInfo().get("partial").error()).isEqualTo("timeout: received 3 of 5");
    }

    @Test
    void thrownExceptionsAreFailuresToo() throws Exception {
        Prober p = prober(false);
        p.run("throws", Duration.ofMillis(300), Map.of(), ProbeClass.of("test", run -> {
            throw new java.io.IOException("disk gone");
        }));
        ProbeTesting.awaitFailure(p, Duration.ofSeconds(10), "throws");
        assertThat(p.probeInfo().get("throws").error()).isEqualTo("IOException: disk gone");
    }

    @Test
    void namesAreUniqueAndRemovedProbesDisappear() throws Exception {
        Prober p = prober(false);
        Probe probe = p.run("one", Duration.ofSeconds(60), Map.of(), ok());
        assertThatThrownBy(() -> p.run("one", Duration.ofSeconds(60), Map.of(), ok()))
                .hasMessageContaining("already registered");
        ProbeTesting.awaitSuccess(p, Duration.ofSeconds(10), "one");
        p.remove(probe);
        assertThat(p.probeInfo()).doesNotContainKey("one");
        assertThat(p.metricsText()).doesNotContain("\"one\"");
    }

    @Test
    void onceModeRunsEachProbeOnceIncludingProbesAddedByOthers() throws Exception {
        Prober p = prober(true);
        AtomicInteger childRuns = new AtomicInteger();
        p.run("parent", Duration.ofSeconds(60), Map.of(), ProbeClass.of("test", run -> {
            p.run("child", Duration.ofSeconds(60), Map.of(), ProbeClass.of("test", r -> {
                childRuns.incrementAndGet();
                return CompletableFuture.failedFuture(new ProbeFailure("child failed"));
            }));
            return CompletableFuture.completedFuture(null);
        }));
        p.awaitAll(Duration.ofSeconds(20));
        Map<String, ProbeInfo> info = p.probeInfo();
        assertThat(info.get("parent").lastResult()).isEqualTo(ProbeInfo.SUCCEEDED);
        assertThat(info.get("child").lastResult()).isEqualTo(ProbeInfo.FAILED);
        Thread.sleep(300);
        assertThat(childRuns).hasValue(1);
    }

    @Test
    void onceModeGivesAContinuousProbeOneWindowAndCountsReachingItsEndAsSuccess() throws Exception {
        Prober p = prober(true);
        AtomicBoolean stopped = new AtomicBoolean();
        p.run("continuous", Duration.ofMillis(-300), Map.of(), ProbeClass.of("test", run -> {
            run.onEnd(() -> stopped.set(true));
            return new CompletableFuture<>();
        }));
        p.awaitAll(Duration.ofSeconds(20));
        assertThat(p.probeInfo().get("continuous").lastResult()).isEqualTo(ProbeInfo.SUCCEEDED);
        assertThat(stopped).isTrue();
    }

    @Test
    void aContinuousProbeIsRestartedAfterItEnds() throws Exception {
        Prober p = prober(false);
        AtomicInteger starts = new AtomicInteger();
        p.run("qd", Duration.ofMillis(-100), Map.of(), ProbeClass.of("test", run -> {
            starts.incrementAndGet();
            return CompletableFuture.failedFuture(new ProbeFailure("link lost"));
        }));
        ProbeTesting.await(p, Duration.ofSeconds(10), i -> i.recentResults().size() >= 3, "restarted", "qd");
        assertThat(starts.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void metricsHaveTheOriginalNamesHelpTypesAndLabels() throws Exception {
        Prober p = prober(false);
        p.run("good", Duration.ofSeconds(60), Map.of("region", "r"), ok());
        p.run("bad", Duration.ofSeconds(60), Map.of("region", "r"), failing("nope"));
        p.run("extra", Duration.ofSeconds(60), Map.of(), new ProbeClass("derp_bw", Map.of("derp_path", "single"),
                run -> CompletableFuture.completedFuture(null), (out, labels) -> {
            out.gauge("derp_bw_probe_size_bytes", "Payload size of the bandwidth prober", labels, 1000);
            out.histogram("derp_qd_probe_delays_seconds", "Distribution of queuing delays", labels,
                    new double[] {.005, .01}, new long[] {1, 3}, 0.0125, 4);
        }));
        ProbeTesting.awaitSuccess(p, Duration.ofSeconds(10), "good", "extra");
        ProbeTesting.awaitFailure(p, Duration.ofSeconds(10), "bad");
        String text = p.metricsText();
        assertThat(text).contains(
                "# HELP derpprobe_result Latest probe result (1 = success, 0 = failure)\n# TYPE derpprobe_result gauge\n",
                "derpprobe_result{class=\"test\",name=\"bad\",region=\"r\"} 0\n",
                "derpprobe_result{class=\"test\",name=\"good\",region=\"r\"} 1\n",
                "# TYPE derpprobe_attempts_total counter\n",
                "derpprobe_attempts_total{class=\"test\",name=\"good\",region=\"r\",status=\"ok\"} 1\n",
                "derpprobe_attempts_total{class=\"test\",name=\"good\",region=\"r\",status=\"fail\"} 0\n",
                "derpprobe_attempts_total{class=\"test\",name=\"bad\",region=\"r\",status=\"fail\"} 1\n",
                "derpprobe_interval_secs{class=\"test\",name=\"good\",region=\"r\"} 60\n",
                "derpprobe_in_flight{class=\"test\",name=\"good\",region=\"r\"} 0\n",
                "# TYPE derpprobe_seconds_total counter\n",
                "# TYPE derpprobe_start_secs gauge\n", "# TYPE derpprobe_end_secs gauge\n",
                "derpprobe_derp_bw_probe_size_bytes{class=\"derp_bw\",derp_path=\"single\",name=\"extra\"} 1000\n",
                "# TYPE derpprobe_derp_qd_probe_delays_seconds histogram\n",
                "derpprobe_derp_qd_probe_delays_seconds_bucket{class=\"derp_bw\",derp_path=\"single\",le=\"0.005\",name=\"extra\"} 1\n",
                "derpprobe_derp_qd_probe_delays_seconds_bucket{class=\"derp_bw\",derp_path=\"single\",le=\"+Inf\",name=\"extra\"} 4\n",
                "derpprobe_derp_qd_probe_delays_seconds_sum{class=\"derp_bw\",derp_path=\"single\",name=\"extra\"} 0.0125\n",
                "derpprobe_derp_qd_probe_delays_seconds_count{class=\"derp_bw\",derp_path=\"single\",name=\"extra\"} 4\n");
        assertThat(text).containsPattern("derpprobe_latency_millis\\{class=\"test\",name=\"good\",region=\"r\"} \\d+\n");
        assertThat(text).doesNotContain("derpprobe_latency_millis{class=\"test\",name=\"bad\"");
        // Every family appears once, with its samples together (the exposition format requires it).
        List<String> typeLines = text.lines().filter(l -> l.startsWith("# TYPE ")).toList();
        assertThat(typeLines).doesNotHaveDuplicates();
        String family = null;
        List<String> seen = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.startsWith("# TYPE ")) {
                family = line.split(" ")[2];
                seen.add(family);
            } else if (!line.startsWith("#")) {
                assertThat(line).startsWith(family);
            }
        }
        assertThat(seen).isSorted();
    }

    @Test
    void aProbeThatHasNotEndedShowsOnlyItsScheduleInTheMetrics() {
        Prober p = prober(false);
        p.run("slow", Duration.ofSeconds(60), Map.of(), ProbeClass.of("test", run -> new CompletableFuture<>()));
        String text = p.metricsText();
        assertThat(text).contains("derpprobe_interval_secs{class=\"test\",name=\"slow\"} 60");
        assertThat(text).doesNotContain("derpprobe_result{class=\"test\",name=\"slow\"}");
    }

    @Test
    void labelValuesAreEscaped() {
        PromText t = new PromText("ns");
        t.gauge("g", "help", Map.of("l", "a\"b\\c\nd"), 1.5);
        assertThat(t.render()).isEqualTo("# HELP ns_g help\n# TYPE ns_g gauge\nns_g{l=\"a\\\"b\\\\c\\nd\"} 1.5\n");
    }

    @Test
    void initialDelaySpreadsProbesDeterministicallyWithinTheInterval() {
        Duration interval = Duration.ofSeconds(15);
        Duration a = Probe.initialDelay("derp/fra/1/tls", interval);
        assertThat(a).isEqualTo(Probe.initialDelay("derp/fra/1/tls", interval));
        assertThat(a).isBetween(Duration.ZERO, interval);
        assertThat(Probe.initialDelay("derp/fra/2/tls", interval)).isNotEqualTo(a);
    }

    @Test
    void connectFailuresReadLikeTheReasonAndTheAddress() {
        assertThat(Probe.message(new io.netty.channel.ConnectTimeoutException("connection timed out: /192.0.2.1:443")))
                .isEqualTo("connect: connection timed out: /192.0.2.1:443");
        assertThat(Probe.message(new java.util.concurrent.CompletionException(new java.net.ConnectException(
                "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.4:443"))))
                .isEqualTo("connect: Connection refused: /127.0.0.4:443");
    }
}
