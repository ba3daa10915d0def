package io.jderper.probe;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * derper.probe.enabled beside a running server: with the map {@code local} the prober probes this server over
 * loopback (STUN on the bound port, a packet through the relay between two clients), presenting the mesh key.
 */
@TestPropertySource(properties = {
        "derper.probe.enabled=true",
        "derper.probe.listen=127.0.0.1:0",
        "derper.probe.interval=2s",
        "derper.probe.mesh-interval=2s",
        "derper.probe.stun-interval=2s",
        "derper.probe.spread=false",
})
class EmbeddedProberTest extends DerpServerTestBase {

    @Autowired
    EmbeddedProber embedded;

    @Test
    void probesThisServerAsTheLocalRegion() throws Exception {
        ProbeService service = embedded.service();
        assertThat(service).isNotNull();
        String self = "derp/local/derp.test";
        Map<String, ProbeInfo> probes = ProbeTesting.awaitSuccess(service.prober(), Duration.ofSeconds(30),
                DerpMapProber.NAME, self + "/udp", self + "/derp.test/mesh");
        assertThat(probes.get(DerpMapProber.NAME).lastResult()).isEqualTo(ProbeInfo.SUCCEEDED);
        assertThat(probes.get(self + "/udp").lastResult()).as(probes.get(self + "/udp").error()).isEqualTo(ProbeInfo.SUCCEEDED);
        ProbeInfo mesh = probes.get(self + "/derp.test/mesh");
        assertThat(mesh.lastResult()).as(mesh.error()).isEqualTo(ProbeInfo.SUCCEEDED);
        assertThat(mesh.labels()).containsEntry("derp_path", "single").containsEntry("region", "local")
                .containsEntry("region_id", "900").containsEntry("hostname", "derp.test");
        assertThat(probes).as("plain-HTTP server: no TLS probe").doesNotContainKey(self + "/tls");

        HttpClient http = HttpClient.newHttpClient();
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpAddress().getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("derpprobe_result{class=\"derp_mesh\",derp_path=\"single\",hostname=\"derp.test\",name=\""
                + self + "/derp.test/mesh\",region=\"local\",region_id=\"900\"} 1");
    }
}
