package io.jderper.ops;

import io.jderper.stun.StunServer;
import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.JsonNode;

import io.jderper.testsupport.RawHttp;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Readiness follows each serving part: the certificate (through a CertificateStatus bean, as the TLS module provides
 * one), the STUN socket and the relay. A failing component outside the groups shows in /actuator/health but fails
 * neither probe.
 */
@Import(ReadinessComponentsTest.Beans.class)
@DirtiesContext
class ReadinessComponentsTest extends DerpServerTestBase {

    static final class FakeCertificate implements CertificateStatus {
        volatile boolean ready = true;
        volatile Optional<Instant> notAfter = Optional.empty();

        @Override
        public boolean ready() {
            return ready;
        }

        @Override
        public Optional<Instant> notAfter() {
            return notAfter;
        }

        @Override
        public String description() {
            return "test certificate";
        }
    }

    @TestConfiguration(proxyBeanMethods = false)
    static class Beans {
        @Bean
        FakeCertificate fakeCertificate() {
            return new FakeCertificate();
        }

        /**
         * A component outside both probe groups that is plainly DOWN (the mesh module's own reports DEGRADED, which
         * does not even reach the aggregate): whatever else reports, the probes must not follow.
         */
        @Bean
        HealthIndicator siblingsHealthIndicator() {
            return () -> Health.down().withDetail("links", 0).build();
        }
    }

    @Autowired
    FakeCertificate certificate;
    @Autowired
    StunServer stun;

    @AfterEach
    void restore() {
        certificate.ready = true;
        certificate.notAfter = Optional.empty();
        if (!stun.isRunning()) {
            stun.start();
        }
        if (!server.isRunning()) {
            server.start();
        }
    }

    private JsonNode readiness(int expectedStatus) throws Exception {
        var r = Http.get(managementPort(), "/actuator/health/readiness");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expectedStatus);
        return Http.json(r.body());
    }

    private void livenessStaysUp() throws Exception {
        assertThat(Http.get(managementPort(), "/actuator/health/liveness").statusCode()).isEqualTo(200);
    }

    @Test
    void certificateReadinessAndExpiry() throws Exception {
        Instant expiry = Instant.now().plus(Duration.ofDays(60));
        certificate.notAfter = Optional.of(expiry);
        JsonNode tls = readiness(200).get("components").get("tls");
        assertThat(tls.get("status").asString()).isEqualTo("UP");
        assertThat(tls.get("details").get("notAfter").asString()).isEqualTo(expiry.toString());
        assertThat(tls.get("details").get("expiresInSeconds").asLong()).isGreaterThan(Duration.ofDays(59).toSeconds());
        assertThat(tls.get("details").get("description").asString()).isEqualTo("test certificate");

        certificate.ready = false;
        assertThat(readiness(503).get("components").get("tls").get("status").asString()).isEqualTo("DOWN");
        livenessStaysUp();

        certificate.ready = true;
        certificate.notAfter = Optional.of(Instant.now().minusSeconds(1));
        JsonNode expired = readiness(503).get("components").get("tls");
        assertThat(expired.get("details").get("state").asString()).isEqualTo("certificate expired");
        livenessStaysUp();

        certificate.notAfter = Optional.of(expiry);
        readiness(200);
    }

    /**
     * Load balancers health-check over kept-alive connections: a 503 must leave the connection usable, so the next
     * check on the same socket sees readiness come back instead of hanging.
     */
    @Test
    void aKeptAliveConnectionIsAnsweredAgainAfterA503() throws Exception {
        try (RawHttp conn = new RawHttp(managementPort())) {
            certificate.ready = false;
            assertThat(readinessOn(conn)).startsWith("HTTP/1.1 503");
            certificate.ready = true;
            assertThat(readinessOn(conn)).startsWith("HTTP/1.1 200");
            assertThat(readinessOn(conn)).startsWith("HTTP/1.1 200");
        }
    }

    /** One readiness request on {@code conn}; reads the whole response (fixed length or chunked) and returns its head. */
    private static String readinessOn(RawHttp conn) throws Exception {
        conn.write("GET /actuator/health/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String head = conn.readHead();
        Matcher length = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        if (length.find()) {
            conn.readExactly(Integer.parseInt(length.group(1)));
        } else {
            assertThat(head).containsIgnoringCase("transfer-encoding: chunked");
            while (true) {
                int size = Integer.parseInt(readLine(conn).trim(), 16);
                conn.readExactly(size + 2);
                if (size == 0) {
                    break;
                }
            }
        }
        return head;
    }

    private static String readLine(RawHttp conn) throws Exception {
        StringBuilder line = new StringBuilder();
        for (int c = conn.in.read(); c != '\n'; c = conn.in.read()) {
            if (c < 0) {
                throw new java.io.EOFException("connection closed in a chunk header");
            }
            line.append((char) c);
        }
        return line.toString();
    }

    @Test
    void stunSocketLossTakesReadinessDown() throws Exception {
        stun.stop();
        JsonNode health = readiness(503);
        assertThat(health.get("components").get("stun").get("status").asString()).isEqualTo("DOWN");
        assertThat(health.get("components").get("derp").get("status").asString()).isEqualTo("UP");
        livenessStaysUp();
        stun.start();
        await().untilAsserted(() -> readiness(200));
    }

    @Test
    void stoppedRelayTakesReadinessDown() throws Exception {
        server.stop();
        JsonNode derp = readiness(503).get("components").get("derp");
        assertThat(derp.get("status").asString()).isEqualTo("DOWN");
        assertThat(derp.get("details").get("state").asString()).isEqualTo("relay not running");
        livenessStaysUp();
        server.start();
        readiness(200);
    }

    @Test
    void aFailingComponentOutsideTheGroupsFailsNeitherProbe() throws Exception {
        var overall = Http.get(managementPort(), "/actuator/health");
        assertThat(overall.statusCode()).isEqualTo(503);
        JsonNode components = Http.json(overall.body()).get("components");
        assertThat(components.get("siblings").get("status").asString()).isEqualTo("DOWN");
        assertThat(components.has("mesh")).isTrue();
        readiness(200);
        livenessStaysUp();
    }
}
