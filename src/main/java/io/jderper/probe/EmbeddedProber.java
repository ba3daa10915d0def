package io.jderper.probe;

import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.ProbeProperties;
import io.jderper.config.StunProperties;
import io.jderper.config.TlsProperties;
import io.jderper.server.DerpServerConfiguration.MeshKeyHolder;
import io.jderper.server.ShutdownParticipant;
import io.jderper.stun.StunServer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code derper.probe.enabled=true}: the prober inside a running server, on its own listener
 * ({@code derper.probe.listen}). With {@code derp-map: local} it probes this server (over loopback, with the ports
 * actually bound) and the siblings in {@code derper.mesh.*}, presenting the region's mesh key.
 */
@Component
@ConditionalOnProperty(prefix = "derper.probe", name = "enabled", havingValue = "true")
public class EmbeddedProber implements SmartLifecycle, ShutdownParticipant {
    /**
     * After the web servers' start phase ({@code DEFAULT_PHASE - 2048}), so the ports it probes are bound. On shutdown
     * it stops at the first step of the shutdown sequence ({@link #shutdownBegins()}), so the node's own draining is
     * never reported as failed probes; its lifecycle stop then has nothing left to do.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 50;

    private final ProbeProperties properties;
    private final DerperProperties core;
    private final MeshProperties mesh;
    private final StunProperties stun;
    private final TlsProperties tls;
    private final MeshKeyHolder meshKey;
    private final ObjectProvider<StunServer> stunServer;
    private final Environment environment;
    private volatile ProbeService service;

    public EmbeddedProber(ProbeProperties properties, DerperProperties core, MeshProperties mesh, StunProperties stun,
                          TlsProperties tls, MeshKeyHolder meshKey, ObjectProvider<StunServer> stunServer,
                          Environment environment) {
        this.properties = properties;
        this.core = core;
        this.mesh = mesh;
        this.stun = stun;
        this.tls = tls;
        this.meshKey = meshKey;
        this.stunServer = stunServer;
        this.environment = environment;
    }

    ProbeSettings settings() {
        return new ProbeSettings(properties.derpMap(), properties.listen(), false, properties.spread(),
                properties.interval(), properties.meshInterval(), properties.stunInterval(), properties.tlsInterval(),
                properties.bwInterval(), properties.bwProbeSizeBytes(), properties.qdPacketsPerSecond(),
                properties.qdPacketTimeout(), properties.regionCode(), meshKey.source(),
                // The siblings' certificates chain to the mesh's CA when one is set; the prober trusts it too.
                properties.tlsCaFile() != null ? properties.tlsCaFile() : mesh.caFile(), false);
    }

    /** This server and its siblings, built from the live ports on every map refresh. */
    DerpMap localRegion() {
        int port = environment.getProperty("local.server.port", Integer.class, core.listenAddress().port());
        InetSocketAddress bound = core.listenAddress().toSocketAddress(port);
        StunServer s = stunServer.getIfAvailable();
        InetSocketAddress stunAddress = s == null ? null : s.localAddress();
        int stunPort = stunAddress == null ? -1 : stunAddress.getPort();
        LocalRegion.Self self = new LocalRegion.Self(core.hostname(), bound.getAddress(), port, tls.tlsEnabled(core), stunPort);
        int dialPort = mesh.dialPort();
        LocalRegion.Config config = new LocalRegion.Config(self, mesh.with(),
                mesh.discovery().equals("dns") ? mesh.dnsName() : "", dialPort, mesh.tls(),
                stun.enabled() ? stun.port() : -1);
        return LocalRegion.build(config, InetAddress::getAllByName);
    }

    @Override
    public synchronized void start() {
        if (service == null) {
            service = ProbeService.start(settings(), MapSource.of(this::localRegion));
        }
    }

    @Override
    public synchronized void stop() {
        if (service != null) {
            service.close();
            service = null;
        }
    }

    @Override
    public void shutdownBegins() {
        stop();
    }

    @Override
    public boolean isRunning() {
        return service != null;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The running prober, or null when stopped. */
    public ProbeService service() {
        return service;
    }
}
