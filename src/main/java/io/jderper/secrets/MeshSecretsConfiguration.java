package io.jderper.secrets;

import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.MeshSecretsProperties;
import io.jderper.key.MeshKeySource;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * With {@code derper.mesh.secrets.url} (and not in dev mode, where the original takes the key from the environment
 * only), the mesh key comes from setec: this provides the {@link MeshKeySource} the relay and the mesh read, and the
 * {@code meshSecret} health component.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(MeshSecretsConfiguration.Enabled.class)
public class MeshSecretsConfiguration {
    private static final Logger log = LoggerFactory.getLogger(MeshSecretsConfiguration.class);

    @Bean
    MeshKeyFromSetec meshKeyFromSetec(MeshSecretsProperties secrets, MeshProperties mesh, MeterRegistry registry) {
        if (!mesh.key().isBlank()) {
            throw new IllegalStateException("derper.mesh.key and derper.mesh.secrets.url are both set; the mesh key "
                    + "comes from one place: remove one of them");
        }
        if (mesh.keyFile() != null) {
            // The original reads -mesh-psk-file only when -secrets-url is unset, without a word.
            log.warn("derper.mesh.key-file ({}) is ignored: the mesh key comes from derper.mesh.secrets.url", mesh.keyFile());
        }
        Path file = secrets.cacheFile(System.getenv("HOME"));
        SetecFileCache cache;
        try {
            cache = SetecFileCache.open(file);
        } catch (IOException e) {
            throw new IllegalStateException("derper.mesh.secrets.cache-dir: " + e.getMessage(), e);
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "derper-mesh-secret");
            t.setDaemon(true);
            return t;
        });
        SetecClient client = new SetecClient(secrets.serverUri(), secrets.requestTimeout(), scheduler);
        MeshKeyFromSetec source = new MeshKeyFromSetec(secrets, client, cache, scheduler, registry, Clock.systemUTC());
        try {
            source.start();
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
        return source;
    }

    @Bean
    MeshKeySource setecMeshKeySource(MeshKeyFromSetec source) {
        return source.key();
    }

    @Bean
    MeshSecretHealthIndicator meshSecretHealthIndicator(MeshKeyFromSetec source) {
        return new MeshSecretHealthIndicator(source);
    }

    /** {@code derper.mesh.secrets.url} set and {@code derper.dev} off. */
    static final class Enabled implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            Binder binder = Binder.get(context.getEnvironment());
            String url = binder.bind("derper.mesh.secrets.url", String.class).orElse("");
            if (url.isBlank()) {
                return false;
            }
            try {
                return !binder.bindOrCreate("derper", DerperProperties.class).dev();
            } catch (RuntimeException invalid) {
                // Bad core settings are reported by the regular binding.
                return false;
            }
        }
    }
}
