package io.jderper.server;

import io.jderper.config.RelayProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.LifecycleProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.context.support.DefaultLifecycleProcessor;

/**
 * The shutdown sequence and the time Spring gives it: the sequence's phase waits up to the readiness grace plus the
 * drain period plus a margin, whatever {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s by default, for the
 * other phases) says.
 */
@Configuration(proxyBeanMethods = false)
public class ShutdownConfiguration {
    private static final Logger log = LoggerFactory.getLogger(ShutdownConfiguration.class);

    @Bean
    ShutdownSequence shutdownSequence(DerpServer relay, RelayProperties properties,
                                      ObjectProvider<ShutdownParticipant> participants,
                                      @Qualifier(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME)
                                      ObjectProvider<LifecycleProcessor> lifecycleProcessor) {
        if (lifecycleProcessor.getIfAvailable() instanceof DefaultLifecycleProcessor processor) {
            processor.setTimeoutForShutdownPhase(ShutdownSequence.PHASE,
                    ShutdownSequence.springPhaseTimeout(properties).toMillis());
        } else {
            log.warn("no DefaultLifecycleProcessor: the shutdown sequence gets the default per-phase timeout");
        }
        return new ShutdownSequence(relay, properties, participants.orderedStream().toList());
    }
}
