package io.jderper;

import io.jderper.client.Transport;
import io.jderper.server.ServerIdentity;
import io.jderper.stun.StunServer;
import io.jderper.testsupport.ExternalTools;
import io.jderper.testsupport.LoopbackArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The one startup line carries the bound listeners, TLS, mesh, admission and key of the server that came up. */
@ExtendWith(OutputCaptureExtension.class)
class StartupSummaryTest {
    private static final String MESH_KEY = "5f3b1e9a0c7d24e68a1f0b3c5d7e9f1023456789abcdef0123456789abcdef01";

    private static List<String> summaryLines(CapturedOutput output) {
        return output.getOut().lines().filter(l -> l.contains("io.jderper.StartupSummary")).toList();
    }

    @Test
    void plainServerWithMeshAndAdmissionController(@TempDir Path dir, CapturedOutput output) {
        try (ConfigurableApplicationContext context = JderperApplication.start(LoopbackArgs.with(dir.resolve("derper.json"),
                "-hostname", "derp.summary.test", "--derper.mesh.key=" + MESH_KEY,
                "-mesh-with", "127.0.0.2:1,127.0.0.3:1/127.0.0.4",
                "-verify-client-url", "http://127.0.0.1:1/admit", "-verify-client-url-fail-open=false",
                "--derper.relay.drain-period=0s"))) {
            Environment env = context.getEnvironment();
            int stunPort = context.getBean(StunServer.class).localAddress().getPort();
            String key = context.getBean(ServerIdentity.class).publicKey().toString();
            List<String> lines = summaryLines(output);
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).containsPattern("INFO .* : jderper \\S+ up in \\d+\\.\\d s: ")
                    .endsWith(": derp http://127.0.0.1:" + env.getProperty("local.server.port")
                            + ", transport " + context.getBean(Transport.class).label()
                            + ", http-port off"
                            + ", stun udp 127.0.0.1:" + stunPort
                            + ", management http://127.0.0.1:" + env.getProperty("local.management.port")
                            + ", tls off (hostname derp.summary.test)"
                            + ", mesh 2 peers 127.0.0.2:1,127.0.0.3:1/127.0.0.4"
                            + ", admission client-url http://127.0.0.1:1/admit (fail closed)"
                            + ", key " + key);
            assertThat(key).startsWith("nodekey:").hasSize("nodekey:".length() + 64);
        }
    }

    @Test
    void tlsServerWithPort80ListenerAndNoMesh(@TempDir Path dir, CapturedOutput output) throws Exception {
        Path openssl = ExternalTools.require("openssl");
        Process p = new ProcessBuilder(openssl.toString(), "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=derp.summary.test",
                "-addext", "subjectAltName=DNS:derp.summary.test",
                "-keyout", dir.resolve("derp.summary.test.key").toString(),
                "-out", dir.resolve("derp.summary.test.crt").toString())
                .redirectErrorStream(true).start();
        String opensslOutput = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(opensslOutput).isZero();
        List<String> args = new ArrayList<>(List.of("-a", "127.0.0.1:0", "-http-port", "0", "-stun=false",
                "-c", dir.resolve("derper.json").toString(), "-hostname", "derp.summary.test",
                "-certmode", "manual", "-certdir", dir.toString(), "-verify-clients",
                "--management.server.port=0", "--management.server.address=127.0.0.1",
                "--derper.relay.drain-period=0s"));
        try (ConfigurableApplicationContext context = JderperApplication.start(args.toArray(String[]::new))) {
            Environment env = context.getEnvironment();
            int port80 = context.getBean(io.jderper.tls.HttpRedirectServer.class).port();
            assertThat(summaryLines(output)).singleElement().asString()
                    .contains(": derp https://127.0.0.1:" + env.getProperty("local.server.port")
                            + ", transport " + context.getBean(Transport.class).label()
                            + ", http-port http://127.0.0.1:" + port80
                            + ", stun off"
                            + ", management http://127.0.0.1:" + env.getProperty("local.management.port")
                            + ", tls manual (hostname derp.summary.test)"
                            + ", mesh 0 peers"
                            + ", admission tailscaled, key nodekey:");
        }
    }
}
