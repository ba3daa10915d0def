package io.jderper.http;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

import java.time.Duration;

/**
 * Reactor Netty event loops owned by this application context rather than JVM-global ones. Closing a context (a
 * restart in tests, a second server in one JVM) then never stops another context's listeners, and shutdown does not
 * wait out Reactor's default quiet period: the relay drains its own connections before the loops stop.
 */
@Configuration(proxyBeanMethods = false)
public class ReactorResourcesConfiguration {

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        factory.setShutdownQuietPeriod(Duration.ZERO);
        return factory;
    }
}
