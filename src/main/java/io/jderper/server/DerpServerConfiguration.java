package io.jderper.server;

import io.jderper.config.DerperProperties;
import io.jderper.config.LimitsProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.RelayProperties;
import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.ServerKeyFile;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/** Builds the relay from typed properties; every failure here names the property at fault and stops startup. */
@Configuration(proxyBeanMethods = false)
public class DerpServerConfiguration {
    private static final Logger log = LoggerFactory.getLogger(DerpServerConfiguration.class);
    static final Path ROOT_DEFAULT_KEY_FILE = Path.of("/var/lib/derper/derper.key");

    @Bean
    ServerIdentity serverIdentity(DerperProperties core) {
        if (core.dev()) {
            log.info("dev mode: using a fresh server key; derper.key-file is ignored");
            return new ServerIdentity(NodePrivateKey.generate());
        }
        Path file = core.keyFile();
        if (file == null) {
            if (!"root".equals(System.getProperty("user.name"))) {
                throw new IllegalStateException("derper.key-file (-c) is required when not running as root");
            }
            file = ROOT_DEFAULT_KEY_FILE;
        }
        try {
            ServerIdentity identity = new ServerIdentity(ServerKeyFile.loadOrCreate(file));
            log.info("server key {} from {}", identity.publicKey(), file);
            return identity;
        } catch (IOException e) {
            throw new IllegalStateException("derper.key-file: cannot read or create " + file + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("derper.key-file: " + e.getMessage(), e);
        }
    }

    @Bean
    DerpMetrics derpMetrics() {
        return new DerpMetrics();
    }

    /**
     * The mesh key: from a key source bean when one is configured (the secrets server, which replaces the key while
     * the server runs), otherwise loaded once from the properties and files.
     */
    @Bean
    MeshKeyHolder meshKeyHolder(DerperProperties core, MeshProperties mesh, ObjectProvider<MeshKeySource> external) {
        MeshKeySource source = external.getIfAvailable();
        if (source == null) {
            source = MeshKeySource.fixed(MeshKeyLoader.load(core, mesh, System::getenv));
        }
        if (source.current().isEmpty() && (!mesh.with().isEmpty() || mesh.discovery().equals("dns"))) {
            throw new IllegalStateException("derper.mesh.with requires a mesh key (derper.mesh.key or derper.mesh.key-file / --mesh-psk-file)");
        }
        return new MeshKeyHolder(source);
    }

    @Bean
    DerpServer derpServer(ServerIdentity identity, RelayProperties relay, MeshKeyHolder meshKey,
                          ObjectProvider<ClientAdmission> admission, DerpMetrics metrics, MeterRegistry meterRegistry,
                          LimitsProperties limits) {
        return new DerpServer(identity, relay, meshKey.source(), admission.getIfAvailable(() -> ClientAdmission.ALLOW_ALL),
                metrics, meterRegistry, HandshakeCrypto.pooled(HandshakeCrypto.defaultThreads()),
                new ClientErrors(meterRegistry, limits.clientErrorLogInterval()));
    }

    /** The mesh key source (a bean so that the relay, the mesh and the prober share one). */
    public record MeshKeyHolder(MeshKeySource source) {
        /** The key in use now, if any. */
        public Optional<MeshKey> key() {
            return source.current();
        }
    }
}
