package io.jderper.ops;

import io.jderper.stun.StunServer;
import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.TestClient;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Actuator on the management port of a serving node: probe groups, components, and what is exposed at all. */
class HealthProbesTest extends DerpServerTestBase {

    @Autowired
    StunServer stun;

    private static List<String> componentNames(JsonNode health) {
        List<String> names = new ArrayList<>();
        health.get("components").propertyNames().forEach(names::add);
        return names;
    }

    @Test
    void readinessIsUpWhileServingAndNamesItsComponents() throws Exception {
        try (TestClient a = TestClient.connect(derpUrl())) {
            HttpResponse<String> r = Http.get(managementPort(), "/actuator/health/readiness");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode health = Http.json(r.body());
            assertThat(health.get("status").asString()).isEqualTo("UP");
            assertThat(componentNames(health)).containsExactlyInAnyOrder("readinessState", "derp", "stun", "tls", "meshReadiness");
            JsonNode derp = health.get("components").get("derp");
            assertThat(derp.get("status").asString()).isEqualTo("UP");
            assertThat(derp.get("details").get("listenerPort").asInt()).isEqualTo(port());
            assertThat(derp.get("details").get("connections").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(derp.get("details").get("clientsLocal").asLong()).isGreaterThanOrEqualTo(1);
            JsonNode stunHealth = health.get("components").get("stun");
            assertThat(stunHealth.get("details").get("address").asString())
                    .isEqualTo(NetUtil.toSocketAddressString(stun.localAddress()));
            // The test node serves plain HTTP and has no certificate module: nothing to hold readiness down.
            assertThat(health.get("components").get("tls").get("details").get("enabled").asBoolean()).isFalse();
        }
    }

    @Test
    void livenessDependsOnNothingExternal() throws Exception {
        HttpResponse<String> r = Http.get(managementPort(), "/actuator/health/liveness");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(componentNames(Http.json(r.body()))).containsExactly("livenessState");
    }

    @Test
    void overallHealthShowsEveryComponentAndBothGroups() throws Exception {
        JsonNode health = Http.json(Http.get(managementPort(), "/actuator/health").body());
        assertThat(componentNames(health)).contains("derp", "stun", "tls", "livenessState", "readinessState");
        List<String> groups = new ArrayList<>();
        health.get("groups").forEach(g -> groups.add(g.asString()));
        assertThat(groups).containsExactlyInAnyOrder("liveness", "readiness");
    }

    @Test
    void onlyHealthAndPrometheusAreExposed() throws Exception {
        JsonNode links = Http.json(Http.get(managementPort(), "/actuator").body()).get("_links");
        List<String> names = new ArrayList<>();
        links.propertyNames().forEach(names::add);
        assertThat(names).containsExactlyInAnyOrder("self", "health", "health-path", "prometheus");
        for (String path : List.of("/actuator/env", "/actuator/info", "/actuator/threaddump", "/actuator/heapdump",
                "/actuator/metrics", "/actuator/configprops", "/actuator/loggers", "/actuator/shutdown")) {
            assertThat(Http.get(managementPort(), path).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void theManagementPortServesNothingOfTheDerpListener() throws Exception {
        for (String path : List.of("/", "/debug/", "/debug/varz", "/bootstrap-dns", "/derp", "/derp/probe",
                "/generate_204", "/robots.txt", "/actuatorx")) {
            assertThat(Http.get(managementPort(), path).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void theDerpPortServesNoActuator() throws Exception {
        HttpResponse<String> r = Http.get(port(), "/actuator/health");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("<h1>DERP</h1>").doesNotContain("\"status\"");
        assertThat(Http.get(port(), "/actuator/prometheus").body()).doesNotContain("derp_accepts");
    }
}
