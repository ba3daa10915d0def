package io.jderper.ops;

import io.jderper.testsupport.LoopbackServerTest;
import io.jderper.testsupport.LoopbackTls;
import io.jderper.tls.ServerTls;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** A node serving TLS (manual mode, IP host name): the tls component reports the served certificate's expiry. */
@LoopbackServerTest
class TlsReadinessTest {
    @DynamicPropertySource
    static void files(DynamicPropertyRegistry registry) throws IOException {
        LoopbackTls.manualTls(registry, "jderper-ops-tls");
    }

    @LocalManagementPort
    int management;
    @Autowired
    ServerTls tls;

    @Test
    void readinessShowsTheServedCertificate() throws Exception {
        var r = Http.get(management, "/actuator/health/readiness");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode component = Http.json(r.body()).get("components").get("tls");
        assertThat(component.get("status").asString()).isEqualTo("UP");
        JsonNode details = component.get("details");
        assertThat(details.get("enabled").asBoolean()).isTrue();
        assertThat(details.get("mode").asString()).isEqualTo("manual");
        assertThat(details.get("ready").asBoolean()).isTrue();
        Instant served = tls.currentCertificate("127.0.0.1").orElseThrow().notAfter();
        assertThat(Instant.parse(details.get("notAfter").asString())).isEqualTo(served);
        assertThat(details.get("expiresInSeconds").asLong()).isPositive();
    }
}
