package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.TlsProperties;
import io.jderper.key.NodePublicKey;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * TLS beans, present only when the main listener serves TLS. Consumers take {@code ObjectProvider<ServerTls>}:
 * no bean means plain HTTP.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(TlsEnabledCondition.class)
public class TlsConfiguration {

    @Bean
    ServerTls derperServerTls(DerperProperties core, TlsProperties tls, HttpPortProperties http,
                              NodePublicKey serverPublicKey) {
        return ServerTls.create(core, tls, http, serverPublicKey);
    }

    @Bean
    HttpRedirectServer derperHttpRedirectServer(DerperProperties core, HttpPortProperties http, ServerTls tls,
                                                ObjectProvider<Port80Debug> debug) {
        return new HttpRedirectServer(core, http, tls, debug.getIfAvailable());
    }
}
