package io.jderper.mesh;

import io.jderper.client.Transport;
import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.server.DerpServer;
import io.jderper.server.DerpServerConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Wires the region mesh: the link manager, its metrics and its health components ({@code mesh}, {@code meshReadiness}). */
@Configuration(proxyBeanMethods = false)
public class MeshConfiguration {

    @Bean
    MeshMetrics meshMetrics() {
        return new MeshMetrics();
    }

    @Bean
    RegionMesh regionMesh(MeshProperties mesh, DerperProperties core, DerpServer server,
                          DerpServerConfiguration.MeshKeyHolder meshKey, MeshMetrics metrics,
                          ObjectProvider<SiblingResolver> resolver, Environment environment, Transport transport) {
        return new RegionMesh(mesh, core, server, meshKey.source(), metrics, resolver.getIfAvailable(),
                () -> environment.getProperty("local.server.port", Integer.class, core.listenAddress().port()), transport);
    }

    @Bean
    MeshHealthIndicator meshHealthIndicator(RegionMesh mesh) {
        return new MeshHealthIndicator(mesh);
    }

    /** In the readiness group; UP unless {@code derper.mesh.readiness-requires-links} asks for links that are down. */
    @Bean
    MeshReadinessIndicator meshReadinessHealthIndicator(RegionMesh mesh) {
        return new MeshReadinessIndicator(mesh);
    }
}
