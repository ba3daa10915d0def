package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.TlsProperties;
import io.jderper.server.ServerIdentity;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * TLS beans, present only when the main listener serves TLS: the certificate sources, the customizer that puts
 * the main listener on TLS, and the port-80 listener. Consumers take {@code ObjectProvider<ServerTls>}: no bean
 * means plain HTTP.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(TlsEnabledCondition.class)
public class TlsConfiguration {

    @Bean
    ServerTls derperServerTls(DerperProperties core, TlsProperties tls, HttpPortProperties http,
                              ServerIdentity identity) {
        return ServerTls.create(core, tls, http, identity.publicKey());
    }

    /** Puts the main listener (Spring's embedded Reactor Netty server) on TLS. */
    @Bean
    NettyServerCustomizer derperTlsServerCustomizer(ServerTls tls) {
        return tls::secure;
    }

    @Bean
    HttpRedirectServer derperHttpRedirectServer(DerperProperties core, HttpPortProperties http, ServerTls tls,
                                                ObjectProvider<Port80Debug> debug) {
        return new HttpRedirectServer(core, http, tls, debug.getIfAvailable());
    }
}
