package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.TlsProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when the main listener serves TLS: port 443, or manual mode; never in dev mode (spec §3.1). */
final class TlsEnabledCondition implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
        Binder binder = Binder.get(context.getEnvironment());
        try {
            DerperProperties core = binder.bindOrCreate("derper", DerperProperties.class);
            TlsProperties tls = binder.bindOrCreate("derper.tls", TlsProperties.class);
            return tls.tlsEnabled(core);
        } catch (RuntimeException invalid) {
            // Bad settings are reported by the regular property binding, with Boot's failure analysis; failing
            // here would only hide that message behind a component-scan error.
            return false;
        }
    }
}
