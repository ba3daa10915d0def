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
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TlsConfiguration.class);

    @Bean
    ServerTls derperServerTls(DerperProperties core, TlsProperties tls, NodePublicKey serverPublicKey) {
        return ServerTls.create(core, tls, serverPublicKey);
    }

    @Bean
    HttpRedirectServer derperHttpRedirectServer(DerperProperties core, HttpPortProperties http, ServerTls tls,
                                                ObjectProvider<Port80Debug> debug) {
        if (!http.enabled() && !tls.mode().equals("manual")) {
            // The original would still get certificates through TLS-ALPN-01 on the main port; we only do HTTP-01.
            log.warn("derper.http.port=-1 with derper.tls.mode={}: ACME HTTP-01 challenges cannot be answered, "
                    + "so no new certificate can be ordered (TLS-ALPN-01 is not supported)", tls.mode());
        }
        return new HttpRedirectServer(core, http, tls, debug.getIfAvailable());
    }
}
