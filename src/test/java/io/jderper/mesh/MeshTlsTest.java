package io.jderper.mesh;

import io.jderper.testsupport.TestClient;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Links over TLS, as the original always makes them. The sibling is a plain node behind a TLS front holding a
 * certificate for {@code sibling.test} and 127.0.0.2 (made with the JDK's keytool); the linking node trusts it through
 * {@code derper.mesh.ca-file}. Checks that the host name is verified for named siblings, that only the chain is
 * verified for siblings named by address (DNS discovery), and that the system CAs are the default trust.
 */
class MeshTlsTest {
    static final char[] PASSWORD = "changeit".toCharArray();

    @TempDir
    static Path dir;
    static final List<AutoCloseable> closeables = new ArrayList<>();
    static MeshNode sibling;
    static int frontPort;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("sibling.p12");
        keytool("-genkeypair", "-alias", "sibling", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=sibling.test", "-ext", "SAN=dns:sibling.test,ip:127.0.0.2", "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD));
        keytool("-exportcert", "-rfc", "-alias", "sibling", "-keystore", keystore.toString(),
                "-storepass", new String(PASSWORD), "-file", dir.resolve("ca.pem").toString());

        sibling = MeshNode.start("sibling", "127.0.0.1", MeshNode.freePortOnAll("127.0.0.1"),
                List.of("--derper.mesh.key=" + MeshNode.MESH_KEY));
        closeables.add(sibling);
        frontPort = MeshNode.freePortOnAll("127.0.0.2");
        closeables.add(FrontProxy.start(new InetSocketAddress("127.0.0.2", frontPort), serverContext(keystore),
                new InetSocketAddress("127.0.0.1", sibling.port)));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void namedAndAddressedSiblingsLinkOverTlsAndAWrongNameIsRefused() throws Exception {
        String named = "sibling.test:" + frontPort + "/127.0.0.2";
        String wrongName = "wrong.test:" + frontPort + "/127.0.0.2";
        String address = "127.0.0.2:" + frontPort;
        try (MeshNode node = MeshNode.start("tls-node", "127.0.0.3", MeshNode.freePortOnAll("127.0.0.3"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.tls=true",
                "--derper.mesh.ca-file=" + dir.resolve("ca.pem"),
                "--derper.mesh.with=" + named + "," + wrongName + "," + address))) {
            RegionMesh mesh = node.mesh();
            await(Duration.ofSeconds(15), () -> mesh.link(named).orElseThrow().state() == MeshLink.State.UP
                    && mesh.link(address).orElseThrow().state() == MeshLink.State.UP, "both verified links are up");
            assertThat(mesh.link(named).orElseThrow().target().url().toString())
                    .isEqualTo("https://sibling.test:" + frontPort + "/derp");
            await(Duration.ofSeconds(15), () -> mesh.link(wrongName).orElseThrow().status().lastError() != null,
                    "the wrong name failed");
            MeshLink.Status wrong = mesh.link(wrongName).orElseThrow().status();
            System.out.println("mesh TLS: a sibling whose certificate does not name it: " + wrong.lastError());
            assertThat(wrong.state()).isNotEqualTo(MeshLink.State.UP);
            assertThat(wrong.lastError()).containsIgnoringCase("wrong.test");

            try (TestClient here = TestClient.connect(node.derpUrl()); TestClient there = TestClient.connect(sibling.derpUrl())) {
                await(Duration.ofSeconds(5), () -> node.server().registry().isKnown(there.publicKey()), "the node learned over TLS");
                here.client.send(there.publicKey(), new byte[]{1, 2});
                assertThat(there.await(TestClient.Packet.class, p -> p.source().equals(here.publicKey()), Duration.ofSeconds(2)).data())
                        .containsExactly(1, 2);
            }
        }
    }

    @Test
    void systemCasAreTheDefaultTrust() throws Exception {
        String named = "sibling.test:" + frontPort + "/127.0.0.2";
        try (MeshNode node = MeshNode.start("tls-default", "127.0.0.4", MeshNode.freePortOnAll("127.0.0.4"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.tls=true", "--derper.mesh.with=" + named))) {
            MeshLink link = node.mesh().link(named).orElseThrow();
            await(Duration.ofSeconds(15), () -> link.status().lastError() != null, "the attempt failed");
            System.out.println("mesh TLS: an untrusted sibling certificate: " + link.status().lastError());
            assertThat(link.state()).isNotEqualTo(MeshLink.State.UP);
            assertThat(link.status().lastError()).containsAnyOf("PKIX", "certification path", "unable to find valid");
        }
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", List.of(args), out).isZero();
    }

    static SslContext serverContext(Path keystore) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        return SslContextBuilder.forServer(kmf).build();
    }
}
