package io.jderper.admission;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.server.ClientAdmission;
import io.jderper.testsupport.FreePorts;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.resources.ConnectionProvider;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The two verification checks against doubles that speak the real wire formats (C-68 … C-71). */
class VerificationChecksTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40123);
    private static ConnectionProvider pool;

    @BeforeAll
    static void pool() {
        pool = ConnectionProvider.builder("test-admission").maxConnections(16).build();
    }

    @AfterAll
    static void dispose() {
        pool.dispose();
    }

    private static ClientAdmission.Decision run(AdmissionCheck check, NodePublicKey key) {
        return check.check(key, CLIENT).block(Duration.ofSeconds(20));
    }

    @Test
    void controllerRequestIsTheOriginalsJsonPost_C68() throws Exception {
        try (FakeAdmissionController c = new FakeAdmissionController()) {
            NodePublicKey key = NodePrivateKey.generate().publicKey();
            AdmissionControllerCheck check = new AdmissionControllerCheck(c.url("/admit"), true, Duration.ofSeconds(5), pool);
            assertThat(run(check, key).allowed()).isTrue();
            FakeAdmissionController.Request r = c.requests.poll(5, TimeUnit.SECONDS);
            assertThat(r).isNotNull();
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.uri()).isEqualTo("/admit");
            assertThat(r.body()).isEqualTo("{\"NodePublic\":\"nodekey:" + key.toHex() + "\",\"Source\":\"127.0.0.1\"}");
            assertThat(r.headers().contains("Content-Type")).as("the original sets no Content-Type").isFalse();
        }
    }

    @Test
    void sourceIsTheBareIpInGoSyntax() {
        NodePublicKey key = NodePrivateKey.generate().publicKey();
        assertThat(new String(AdmissionControllerCheck.requestBody(key, new InetSocketAddress("::1", 5)), StandardCharsets.UTF_8))
                .endsWith("\"Source\":\"::1\"}");
        assertThat(new String(AdmissionControllerCheck.requestBody(key, null), StandardCharsets.UTF_8))
                .endsWith("\"Source\":\"\"}");
    }

    @Test
    void controllerDecisions_C69() throws Exception {
        try (FakeAdmissionController c = new FakeAdmissionController()) {
            AdmissionControllerCheck check = new AdmissionControllerCheck(c.url("/admit"), true, Duration.ofSeconds(5), pool);
            NodePublicKey key = NodePrivateKey.generate().publicKey();
            c.answer.set(FakeAdmissionController.Answer.allow(true));
            assertThat(run(check, key)).isEqualTo(ClientAdmission.Decision.ALLOW);
            c.answer.set(FakeAdmissionController.Answer.allow(false));
            assertThat(run(check, key).reason()).isEqualTo(DenyReason.CONTROLLER_DENIED);
            c.answer.set(new FakeAdmissionController.Answer(500, "{\"Allow\":true}", Duration.ZERO));
            assertThat(run(check, key).reason()).isEqualTo(DenyReason.CONTROLLER_ERROR);
            c.answer.set(new FakeAdmissionController.Answer(200, "not json", Duration.ZERO));
            assertThat(run(check, key).reason()).isEqualTo(DenyReason.CONTROLLER_ERROR);
            c.answer.set(new FakeAdmissionController.Answer(200, "{\"allow\":true} trailing is ignored", Duration.ZERO));
            assertThat(run(check, key).allowed()).isTrue();
            c.answer.set(new FakeAdmissionController.Answer(200, "{\"Other\":1}", Duration.ZERO));
            assertThat(run(check, key).reason()).isEqualTo(DenyReason.CONTROLLER_DENIED);
            // A first value longer than the 4 KiB the original reads cannot complete: denied.
            c.answer.set(new FakeAdmissionController.Answer(200,
                    "{\"Pad\":\"" + "x".repeat(5000) + "\",\"Allow\":true}", Duration.ZERO));
            assertThat(run(check, key).reason()).isEqualTo(DenyReason.CONTROLLER_ERROR);
        }
    }

    @Test
    void allowFieldDecodesLikeGo() {
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":true}"))).isTrue();
        assertThat(AdmissionControllerCheck.parseAllow(b(" {\"ALLOW\":true,\"x\":[1,{\"y\":null}]}"))).isTrue();
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":true,\"allow\":false}"))).isFalse();
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":true,\"allow\":null}"))).isTrue();
        assertThat(AdmissionControllerCheck.parseAllow(b("null"))).isFalse();
        assertThat(AdmissionControllerCheck.parseAllow(b("{}"))).isFalse();
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":\"true\"}"))).isNull();
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":1}"))).isNull();
        assertThat(AdmissionControllerCheck.parseAllow(b("[true]"))).isNull();
        assertThat(AdmissionControllerCheck.parseAllow(b("{\"Allow\":true"))).isNull();
        assertThat(AdmissionControllerCheck.parseAllow(b(""))).isNull();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void unreachableControllerFollowsFailOpen_C70() throws Exception {
        int closedPort = FreePorts.loopback();
        URI url = URI.create("http://127.0.0.1:" + closedPort + "/admit");
        NodePublicKey key = NodePrivateKey.generate().publicKey();
        assertThat(run(new AdmissionControllerCheck(url, true, Duration.ofSeconds(5), pool), key).allowed()).isTrue();
        assertThat(run(new AdmissionControllerCheck(url, false, Duration.ofSeconds(5), pool), key).reason())
                .isEqualTo(DenyReason.CONTROLLER_UNREACHABLE);
    }

    @Test
    void slowControllerTimesOutAfterTheTimeout_C70() throws Exception {
        try (FakeAdmissionController c = new FakeAdmissionController()) {
            c.answer.set(new FakeAdmissionController.Answer(200, "{\"Allow\":false}", Duration.ofSeconds(10)));
            NodePublicKey key = NodePrivateKey.generate().publicKey();
            long t0 = System.nanoTime();
            assertThat(run(new AdmissionControllerCheck(c.url("/admit"), true, Duration.ofSeconds(5), pool), key).allowed())
                    .as("no answer within the timeout counts as unreachable: fail-open admits").isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).isBetween(4_500L, 9_000L);
            assertThat(run(new AdmissionControllerCheck(c.url("/admit"), false, Duration.ofSeconds(1), pool), key).reason())
                    .isEqualTo(DenyReason.CONTROLLER_UNREACHABLE);
        }
    }

    @Test
    void tailscaledWhoisRequestAndDecisions_C71(@TempDir Path dir) throws Exception {
        assumeTrue(Epoll.isAvailable(), "unix sockets need native epoll");
        try (FakeLocalApi api = new FakeLocalApi(dir)) {
            TailscaledWhois check = new TailscaledWhois(api.socket, Duration.ofSeconds(5), pool);
            NodePublicKey member = NodePrivateKey.generate().publicKey();
            NodePublicKey stranger = NodePrivateKey.generate().publicKey();
            api.tailnet.add(member);

            assertThat(run(check, member)).isEqualTo(ClientAdmission.Decision.ALLOW);
            FakeLocalApi.Request r = api.requests.poll(5, TimeUnit.SECONDS);
            assertThat(r.uri()).isEqualTo("/localapi/v0/whois?addr=nodekey%3A" + member.toHex());
            assertThat(r.headers().get("Tailscale-Cap")).isEqualTo("145");
            assertThat(r.headers().get("Host")).isEqualTo("local-tailscaled.sock");

            assertThat(run(check, stranger).reason()).isEqualTo(DenyReason.TAILSCALED_UNKNOWN);
            api.forcedStatus.set(500);
            assertThat(run(check, member).reason()).isEqualTo(DenyReason.TAILSCALED_ERROR);
        }
        TailscaledWhois missing = new TailscaledWhois(dir.resolve("absent.sock"), Duration.ofSeconds(5), pool);
        assertThat(run(missing, NodePrivateKey.generate().publicKey()).reason()).isEqualTo(DenyReason.TAILSCALED_ERROR);
    }

    @Test
    void whoIsBodyMustBeJsonObject() {
        assertThat(TailscaledWhois.isWhoIsJson(b("{}"))).isTrue();
        assertThat(TailscaledWhois.isWhoIsJson(b("null"))).isTrue();
        assertThat(TailscaledWhois.isWhoIsJson(b("[]"))).isFalse();
        assertThat(TailscaledWhois.isWhoIsJson(b(""))).isFalse();
        assertThat(TailscaledWhois.isWhoIsJson(b("{} {}"))).isFalse();
        assertThat(TailscaledWhois.isWhoIsJson(b("<html>"))).isFalse();
    }
}
