package io.jderper.http;

import io.jderper.client.Transport;
import io.jderper.config.DerperProperties;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.NonBlocking;
import reactor.netty.resources.LoopResources;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Reactor Netty event loops owned by this application context rather than JVM-global ones, on the transport
 * {@code derper.transport} names. Closing a context (a restart in tests, a second server in one JVM) then never stops
 * another context's listeners, and shutdown does not wait out Reactor's default quiet period: the relay drains its own
 * connections before the loops stop.
 */
@Configuration(proxyBeanMethods = false)
public class ReactorResourcesConfiguration {
    private static final Logger log = LoggerFactory.getLogger(ReactorResourcesConfiguration.class);

    /** The transport of the main listener, STUN and the mesh links; an unavailable named one fails startup here. */
    @Bean
    Transport transport(DerperProperties properties) {
        Transport t = properties.resolveTransport();
        if (!t.equals(Transport.IO_URING) && !Transport.IO_URING.isAvailable()) {
            log.debug("io_uring unavailable: {}", String.valueOf(Transport.IO_URING.unavailabilityCause()));
        }
        return t;
    }

    @Bean
    ReactorResourceFactory reactorResourceFactory(Transport transport) {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        factory.setShutdownQuietPeriod(Duration.ZERO);
        factory.setLoopResourcesSupplier(() -> new TransportLoopResources(transport, LoopResources.DEFAULT_IO_WORKER_COUNT));
        return factory;
    }

    /**
     * One group of {@code reactor.netty.ioWorkerCount} loops that accepts and serves (Reactor Netty's default layout),
     * on the chosen transport. Reactor Netty picks each channel's class from the group's transport.
     */
    static final class TransportLoopResources implements LoopResources {
        private final EventLoopGroup group;

        TransportLoopResources(Transport transport, int threads) {
            group = transport.newGroup(threads, new LoopThreadFactory("reactor-http-" + transport.label()));
        }

        @Override
        public EventLoopGroup onServer(boolean useNative) {
            return group;
        }

        @Override
        public boolean isDisposed() {
            return group.isShutdown();
        }

        @Override
        public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
            return Mono.defer(() -> {
                io.netty.util.concurrent.Future<?> done = group.shutdownGracefully(quietPeriod.toMillis(),
                        Math.max(quietPeriod.toMillis(), timeout.toMillis()), TimeUnit.MILLISECONDS);
                return Mono.<Void>create(sink -> done.addListener(f -> sink.success()));
            });
        }
    }

    /** Daemon loop threads marked non-blocking, as Reactor Netty's own, so a blocking call on them is refused. */
    static final class LoopThreadFactory extends DefaultThreadFactory {
        LoopThreadFactory(String prefix) {
            super(prefix, true);
        }

        @Override
        protected Thread newThread(Runnable r, String name) {
            return new LoopThread(threadGroup, r, name);
        }
    }

    static final class LoopThread extends io.netty.util.concurrent.FastThreadLocalThread implements NonBlocking {
        LoopThread(ThreadGroup group, Runnable r, String name) {
            super(group, r, name);
        }
    }
}
