package io.jderper.testsupport;

import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

import java.time.Duration;

/**
 * Gives one test application context its own Reactor Netty event loops. With the JVM-global ones (the production
 * default, where a node owns its JVM) closing one context would stop the listeners of every other context still
 * running in the test JVM, such as the cached one that most conformance tests share.
 */
public final class IsolatedReactorResources implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    @Override
    public void initialize(ConfigurableApplicationContext ctx) {
        ((GenericApplicationContext) ctx).registerBean("isolatedReactorResources", ReactorResourceFactory.class, () -> {
            ReactorResourceFactory f = new ReactorResourceFactory();
            f.setUseGlobalResources(false);
            f.setShutdownQuietPeriod(Duration.ZERO);
            return f;
        });
    }
}
