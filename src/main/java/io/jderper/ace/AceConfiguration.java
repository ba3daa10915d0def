package io.jderper.ace;

import io.jderper.config.AceProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;

/** The CONNECT proxy: the main-listener hook that takes CONNECT requests, its resolver and its meters. */
@Configuration(proxyBeanMethods = false)
class AceConfiguration {

    @Bean
    TargetResolver aceTargetResolver() {
        return new DnsTargetResolver(Duration.ofSeconds(5));
    }

    @Bean
    AceMetrics aceMetrics(MeterRegistry registry) {
        return new AceMetrics(registry);
    }

    @Bean
    ConnectGate aceConnectGate(AceProperties properties, TargetResolver aceTargetResolver, AceMetrics aceMetrics) {
        return new ConnectGate(properties, aceTargetResolver, aceMetrics);
    }
}
