package io.jderper;

import io.jderper.client.Transport;
import io.jderper.config.Version;
import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.VerifyProperties;
import io.jderper.mesh.RegionMesh;
import io.jderper.server.ServerIdentity;
import io.jderper.stun.StunServer;
import io.jderper.tls.HttpRedirectServer;
import io.jderper.tls.ServerTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.info.BuildProperties;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The one line an operator reads to know what came up: listeners with their bound ports, the network transport, TLS,
 * mesh, admission and the server key. Logged once the server is ready, in place of Spring's own start-up lines (see application.yml).
 */
@Component
final class StartupSummary implements ApplicationListener<ApplicationReadyEvent> {
    private static final Logger log = LoggerFactory.getLogger(StartupSummary.class);

    private final DerperProperties core;
    private final MeshProperties meshProperties;
    private final VerifyProperties verify;
    private final ServerIdentity identity;
    private final StunServer stun;
    private final RegionMesh mesh;
    private final ObjectProvider<ServerTls> tls;
    private final ObjectProvider<HttpRedirectServer> port80;
    private final ObjectProvider<BuildProperties> build;
    private final Transport transport;

    StartupSummary(DerperProperties core, MeshProperties meshProperties,
                   VerifyProperties verify, ServerIdentity identity, StunServer stun, RegionMesh mesh,
                   ObjectProvider<ServerTls> tls, ObjectProvider<HttpRedirectServer> port80,
                   ObjectProvider<BuildProperties> build, Transport transport) {
        this.transport = transport;
        this.core = core;
        this.meshProperties = meshProperties;
        this.verify = verify;
        this.identity = identity;
        this.stun = stun;
        this.mesh = mesh;
        this.tls = tls;
        this.port80 = port80;
        this.build = build;
    }

    @Override
    public void onApplicationEvent(ApplicationReadyEvent event) {
        if (event.getApplicationContext().getParent() != null) {
            return;
        }
        log.info(line(event.getApplicationContext().getEnvironment(), event.getTimeTaken()));
    }

    String line(Environment env, Duration timeTaken) {
        String host = core.listenAddress().host();
        ServerTls serverTls = tls.getIfAvailable();
        HttpRedirectServer http = port80.getIfAvailable();
        BuildProperties b = build.getIfAvailable();
        InetSocketAddress stunAddress = stun.isEnabled() ? stun.localAddress() : null;
        String managementPort = env.getProperty("local.management.port");
        return new Line(
                b != null ? b.getVersion() : Version.current().replaceFirst("^jderper ", ""),
                timeTaken,
                (serverTls != null ? "https://" : "http://") + hostPort(host, env.getProperty("local.server.port")),
                transport.label(),
                http != null && http.port() >= 0 ? "http://" + hostPort(host, Integer.toString(http.port())) : "off",
                stunAddress != null ? "udp " + hostPort(stunAddress.getAddress().isAnyLocalAddress() ? ""
                        : stunAddress.getAddress().getHostAddress(), Integer.toString(stunAddress.getPort())) : "off",
                managementPort != null
                        ? "http://" + hostPort(env.getProperty("management.server.address", ""), managementPort)
                        : "on the DERP listener",
                serverTls != null ? serverTls.mode() : "off",
                core.hostname(),
                mesh.enabled() ? meshPeers() : List.of(),
                mesh.enabled() && meshProperties.discovery().equals("dns") ? meshProperties.dnsName() : "",
                admission(),
                identity.publicKey().toString()).toString();
    }

    private List<String> meshPeers() {
        return meshProperties.with().stream().filter(e -> !e.isBlank()).map(String::strip).toList();
    }

    private String admission() {
        String controller = verify.controllerUrl() == null ? null
                : "client-url " + verify.controllerUrl() + (verify.failOpen() ? " (fail open)" : " (fail closed)");
        if (verify.tailscaled() && controller != null) {
            return "tailscaled + " + controller;
        }
        if (verify.tailscaled()) {
            return "tailscaled";
        }
        return controller != null ? controller : "none";
    }

    private static String hostPort(String host, String port) {
        if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
            return "*:" + port;
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The summary's fields, in the order the line gives them. */
    record Line(String version, Duration timeTaken, String derp, String transport, String httpPort, String stun, String management,
                String tlsMode, String hostname, List<String> meshPeers, String meshDnsName, String admission,
                String serverKey) {
        @Override
        public String toString() {
            String meshText = !meshDnsName.isEmpty() ? "dns " + meshDnsName + " + " + meshPeers.size() + " listed"
                    : meshPeers.size() + (meshPeers.size() == 1 ? " peer" : " peers")
                      + (meshPeers.isEmpty() ? "" : " " + String.join(",", meshPeers));
            return "jderper " + version + " up in " + String.format(java.util.Locale.ROOT, "%.1f s", timeTaken.toMillis() / 1000.0)
                    + ": derp " + derp + ", transport " + transport + ", http-port " + httpPort + ", stun " + stun + ", management " + management
                    + ", tls " + tlsMode + " (hostname " + hostname + ")"
                    + ", mesh " + meshText + ", admission " + admission + ", key " + serverKey;
        }
    }
}
