package io.jderper.admission;

import io.jderper.config.LimitsProperties;
import io.jderper.config.VerifyProperties;
import io.jderper.server.ClientAdmission;
import io.jderper.server.DerpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.epoll.Epoll;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.resources.ConnectionProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Wires client verification, receive rate limits and the main listener's guards from {@code derper.verify/limits}. */
@Configuration(proxyBeanMethods = false)
public class AdmissionConfiguration {

    /** Present only with {@code derper.limits.rate-config}; a bad file stops startup here. */
    @Bean
    ReceiveRateLimitsHolder receiveRateLimits(LimitsProperties limits, MeterRegistry registry) {
        return new ReceiveRateLimitsHolder(limits.rateConfig() == null || limits.rateConfig().toString().isEmpty()
                ? null : new ReceiveRateLimits(limits.rateConfig(), registry));
    }

    @Bean
    RateConfigReloaderHolder rateConfigReloader(ReceiveRateLimitsHolder limits, LimitsProperties properties) {
        return new RateConfigReloaderHolder(limits.limits() == null ? null
                : new RateConfigReloader(limits.limits(), properties.rateConfigWatch()));
    }

    @Bean(destroyMethod = "dispose")
    AdmissionHttp admissionHttp(VerifyProperties verify) {
        return new AdmissionHttp(ConnectionProvider.builder("derper-admission")
                .maxConnections(64)
                .pendingAcquireMaxCount(4096)
                .pendingAcquireTimeout(verify.timeout())
                .maxIdleTime(Duration.ofSeconds(30))
                .build());
    }

    @Bean
    ClientAdmission clientAdmission(VerifyProperties verify, ReceiveRateLimitsHolder rateLimits, AdmissionHttp http,
                                    MeterRegistry registry) {
        List<AdmissionCheck> checks = new ArrayList<>();
        if (verify.tailscaled()) {
            if (!Epoll.isAvailable()) {
                throw new IllegalStateException("derper.verify.tailscaled needs unix-domain sockets (native epoll), "
                        + "which are unavailable here: " + Epoll.unavailabilityCause());
            }
            checks.add(new TailscaledWhois(verify.socket(), verify.timeout(), http.pool()));
        }
        if (verify.controllerUrl() != null) {
            checks.add(new AdmissionControllerCheck(verify.controllerUrl(), verify.failOpen(), verify.timeout(), http.pool()));
        }
        DecisionCache<DerperAdmission.CacheKey> cache = new DecisionCache<>(verify.cacheTtl().toNanos(), verify.cacheSize(),
                System::nanoTime);
        return new DerperAdmission(checks, cache, rateLimits.limits(), registry);
    }

    @Bean
    ListenerGuards listenerGuards(LimitsProperties limits, ObjectProvider<DerpServer> derpServer, MeterRegistry registry) {
        return new ListenerGuards(limits, derpServer.getObject(), registry);
    }

    /** Optional beans as holders, so absence is explicit and nothing else has to know whether they exist. */
    record ReceiveRateLimitsHolder(ReceiveRateLimits limits) {
    }

    record RateConfigReloaderHolder(RateConfigReloader reloader) implements org.springframework.context.SmartLifecycle {
        @Override
        public void start() {
            if (reloader != null) {
                reloader.start();
            }
        }

        @Override
        public void stop() {
            if (reloader != null) {
                reloader.stop();
            }
        }

        @Override
        public boolean isRunning() {
            return reloader != null && reloader.isRunning();
        }
    }

    /** The connection pool shared by the tailscaled and controller clients. */
    record AdmissionHttp(ConnectionProvider pool) {
        void dispose() {
            pool.dispose();
        }
    }
}
