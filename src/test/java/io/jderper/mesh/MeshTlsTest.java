package io.jderper.mesh;

import io.jderper.client.DerpClientOptions;
import io.jderper.testsupport.TestClient;
import io.jderper.testsupport.TestPki;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Links over TLS, as the original always makes them, to siblings that serve TLS themselves (manual certificate mode):
 * one named {@code sibling.test} (a certificate from the test), one named by its IP address (the self-signed IP
 * certificate manual mode makes). The linking node trusts both through {@code derper.mesh.ca-file}. A plain TLS
 * front that presents the {@code sibling.test} certificate to any client shows that the host name is checked.
 */
class MeshTlsTest {
    @TempDir
    static Path dir;
    static final List<AutoCloseable> closeables = new ArrayList<>();
    static MeshNode named;
    static MeshNode addressed;
    static int frontPort;
    static Path caFile;
    static X509Certificate siblingCert;

    @BeforeAll
    static void start() throws Exception {
        KeyPair pair = TestPki.ecKey();
        X509Certificate cert = TestPki.selfSigned(pair, "sibling.test", "127.0.0.2");
        siblingCert = cert;
        Path namedCerts = dir.resolve("named-certs");
        TestPki.writePair(namedCerts, "sibling.test", pair, cert);

        named = MeshNode.start("sibling.test", "127.0.0.1", MeshNode.freePortOnAll("127.0.0.1"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.tls.mode=manual",
                "--derper.tls.cert-dir=" + namedCerts));
        closeables.add(named);
        Path addressedCerts = dir.resolve("addressed-certs");
        addressed = MeshNode.start("127.0.0.3", "127.0.0.3", MeshNode.freePortOnAll("127.0.0.3"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.tls.mode=manual",
                "--derper.tls.cert-dir=" + addressedCerts));
        closeables.add(addressed);

        caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, TestPki.pem(cert) + Files.readString(addressedCerts.resolve("127.0.0.3.crt")));

        frontPort = MeshNode.freePortOnAll("127.0.0.2");
        closeables.add(FrontProxy.start(new InetSocketAddress("127.0.0.2", frontPort),
                SslContextBuilder.forServer(pair.getPrivate(), cert).build(), new InetSocketAddress("127.0.0.1", named.port)));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void namedAndAddressedSiblingsLinkOverTlsAndAWrongNameIsRefused() throws Exception {
        String byName = "sibling.test:" + named.port + "/127.0.0.1";
        String byAddress = addressed.entry();
        String wrongName = "wrong.test:" + frontPort + "/127.0.0.2";
        try (MeshNode node = MeshNode.start("tls-node", "127.0.0.4", MeshNode.freePortOnAll("127.0.0.4"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.tls=true",
                "--derper.mesh.ca-file=" + caFile,
                "--derper.mesh.with=" + byName + "," + byAddress + "," + wrongName))) {
            RegionMesh mesh = node.mesh();
            await(Duration.ofSeconds(15), () -> mesh.link(byName).orElseThrow().state() == MeshLink.State.UP
                    && mesh.link(byAddress).orElseThrow().state() == MeshLink.State.UP, "both verified links are up");
            assertThat(mesh.link(byName).orElseThrow().target().url().toString())
                    .isEqualTo("https://sibling.test:" + named.port + "/derp");
            assertThat(mesh.link(byAddress).orElseThrow().target().url().toString())
                    .isEqualTo("https://127.0.0.3:" + addressed.port + "/derp");

            await(Duration.ofSeconds(15), () -> mesh.link(wrongName).orElseThrow().status().lastError() != null,
                    "the wrong name failed");
            MeshLink.Status wrong = mesh.link(wrongName).orElseThrow().status();
            System.out.println("mesh TLS: a sibling whose certificate does not name it: " + wrong.lastError());
            assertThat(wrong.state()).isNotEqualTo(MeshLink.State.UP);
            assertThat(wrong.lastError()).containsIgnoringCase("wrong.test");

            // A packet from a client of the linking node reaches a TLS client of the named sibling over the TLS link.
            DerpClientOptions tlsClient = DerpClientOptions.defaults()
                    .withSslContext(SslContextBuilder.forClient().trustManager(siblingCert).build())
                    .withDialAddress(new InetSocketAddress("127.0.0.1", named.port));
            try (TestClient here = TestClient.connect(node.derpUrl());
                 TestClient there = TestClient.connect(URI.create("https://sibling.test:" + named.port + "/derp"), tlsClient)) {
                await(Duration.ofSeconds(5), () -> node.server().registry().isKnown(there.publicKey()), "the node learned over TLS");
                here.client.send(there.publicKey(), new byte[]{1, 2});
                assertThat(there.await(TestClient.Packet.class, p -> p.source().equals(here.publicKey()), Duration.ofSeconds(2)).data())
                        .containsExactly(1, 2);
            }
        }
    }

    /**
     * DNS discovery in a region whose nodes share one name: the discovered address is dialled, the shared name is sent
     * as SNI and checked in the certificate, so a sibling with a DNS host name (which refuses handshakes without SNI)
     * links all the same.
     */
    @Test
    void dnsDiscoveredSiblingsAreCheckedAgainstTheSharedServerName() throws Exception {
        FakeSiblingResolver dns = new FakeSiblingResolver();
        dns.answer("region.test", "127.0.0.1");
        try (MeshNode node = MeshNode.start("dns-tls-node", "127.0.0.6", MeshNode.freePortOnAll("127.0.0.6"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.tls=true",
                "--derper.mesh.ca-file=" + caFile,
                "--derper.mesh.discovery=dns", "--derper.mesh.dns-name=region.test", "--derper.mesh.dns-refresh=300ms",
                "--derper.mesh.dns-server-name=sibling.test", "--derper.mesh.dial-port=" + named.port), dns)) {
            String discovered = "127.0.0.1:" + named.port;
            await(Duration.ofSeconds(15), () -> node.mesh().link(discovered).map(l -> l.state() == MeshLink.State.UP)
                    .orElse(false), "the discovered sibling is linked over verified TLS");
            assertThat(node.mesh().link(discovered).orElseThrow().target().url().toString())
                    .isEqualTo("https://sibling.test:" + named.port + "/derp");
        }
    }

    @Test
    void systemCasAreTheDefaultTrust() throws Exception {
        String byName = "sibling.test:" + named.port + "/127.0.0.1";
        try (MeshNode node = MeshNode.start("tls-default", "127.0.0.5", MeshNode.freePortOnAll("127.0.0.5"), List.of(
                "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.tls=true", "--derper.mesh.with=" + byName))) {
            MeshLink link = node.mesh().link(byName).orElseThrow();
            await(Duration.ofSeconds(15), () -> link.status().lastError() != null, "the attempt failed");
            System.out.println("mesh TLS: an untrusted sibling certificate: " + link.status().lastError());
            assertThat(link.state()).isNotEqualTo(MeshLink.State.UP);
            assertThat(link.status().lastError()).containsAnyOf("PKIX", "certification path", "unable to find valid");
        }
    }
}
