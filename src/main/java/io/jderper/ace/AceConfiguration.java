package io.jderper.ace;

import io.jderper.client.Transport;
import io.jderper.config.AceProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;

/** The CONNECT proxy: the main-listener hook that takes CONNECT requests, its resolver and its meters. */
@Configuration(proxyBeanMethods = false)
class AceConfiguration {

    @Bean
    TargetResolver aceTargetResolver(Transport transport) {
        return new DnsTargetResolver(transport, Duration.ofSeconds(5));
    }

    @Bean
    OpenTunnels aceOpenTunnels() {
        return new OpenTunnels();
    }

    @Bean
    AceMetrics aceMetrics(MeterRegistry registry, OpenTunnels aceOpenTunnels) {
        return new AceMetrics(registry, aceOpenTunnels);
    }

    @Bean
    ConnectGate aceConnectGate(AceProperties properties, TargetResolver aceTargetResolver, AceMetrics aceMetrics,
                               OpenTunnels aceOpenTunnels) {
        return new ConnectGate(properties, aceTargetResolver, aceMetrics, aceOpenTunnels);
    }
}
