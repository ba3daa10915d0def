package io.jderper.ops;

import io.jderper.testsupport.LoopbackTls;
import io.jderper.tls.ServerTls;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** A node serving TLS (manual mode, IP host name): the tls component reports the served certificate's expiry. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = io.jderper.JderperApplication.class,
        properties = {
                "derper.listen=127.0.0.1:0",
                "derper.tls.mode=manual",
                "derper.hostname=127.0.0.1",
                "derper.http.port=-1",
                "derper.stun.port=0",
                "management.server.port=0",
                "management.server.address=127.0.0.1",
        })
class TlsReadinessTest {
    @DynamicPropertySource
    static void files(DynamicPropertyRegistry registry) throws IOException {
        LoopbackTls.files(registry, "jderper-ops-tls");
    }

    @Autowired
    Environment environment;
    @Autowired
    ServerTls tls;

    @Test
    void readinessShowsTheServedCertificate() throws Exception {
        int management = Integer.parseInt(environment.getProperty("local.management.port"));
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
