package io.jderper.server;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * derp_tcp_rtt: the original's per-connection samples of the kernel's TCP round-trip estimate, bucketed by the smallest
 * bound that fits. The shared test server samples every 200 ms; loopback round trips are far below 10 ms.
 */
class TcpRttTest extends DerpServerTestBase {

    @Test
    void bucketsAreTheOriginalsBoundsInclusiveAndNotCumulative() {
        assertThat(TcpRttBucket.of(0)).isEqualTo(TcpRttBucket.MS_10);
        assertThat(TcpRttBucket.of(10_000)).isEqualTo(TcpRttBucket.MS_10);
        assertThat(TcpRttBucket.of(10_001)).isEqualTo(TcpRttBucket.MS_20);
        assertThat(TcpRttBucket.of(50_000)).isEqualTo(TcpRttBucket.MS_50);
        assertThat(TcpRttBucket.of(100_001)).isEqualTo(TcpRttBucket.MS_150);
        assertThat(TcpRttBucket.of(250_000)).isEqualTo(TcpRttBucket.MS_250);
        assertThat(TcpRttBucket.of(500_000)).isEqualTo(TcpRttBucket.MS_500);
        assertThat(TcpRttBucket.of(500_001)).isEqualTo(TcpRttBucket.INF);
        assertThat(TcpRttBucket.of(Long.MAX_VALUE)).isEqualTo(TcpRttBucket.INF);
        assertThat(TcpRttBucket.INF.label()).isEqualTo("inf");
    }

    @Test
    void aConnectedClientIsSampledIntoTheLowestBucketOnLoopback() throws Exception {
        assertThat(Epoll.isAvailable()).as("RTT sampling needs the epoll transport: %s", Epoll.unavailabilityCause()).isTrue();
        long before = metrics.tcpRttCount(TcpRttBucket.MS_10);
        long errorsBefore = metrics.tcpRttCount(TcpRttBucket.ERROR);
        try (TestClient c = TestClient.connect(derpUrl())) {
            // A few sampling periods of this one connection (other tests' connections may add more, never fewer).
            await().atMost(Duration.ofSeconds(10)).until(() -> metrics.tcpRttCount(TcpRttBucket.MS_10) >= before + 3);
        }
        assertThat(metrics.tcpRttCount(TcpRttBucket.ERROR)).isEqualTo(errorsBefore);

        HttpClient http = HttpClient.newHttpClient();
        String varz = http.send(HttpRequest.newBuilder(httpUrl("/debug/varz")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(varz).contains("# TYPE derp_tcp_rtt counter\n").containsPattern("(?m)^derp_tcp_rtt\\{le=\"10ms\"} [1-9]")
                .as("labels that never counted are not listed").doesNotContainPattern("(?m)^derp_tcp_rtt\\{le=\"[^\"]+\"} 0$");
        String prometheus = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort()
                + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(prometheus).containsPattern("(?m)^derp_tcp_rtt_total\\{le=\"10ms\"} [1-9]")
                .as("every bucket is exported, counted or not").containsPattern("(?m)^derp_tcp_rtt_total\\{le=\"inf\"} \\d");
    }
}
