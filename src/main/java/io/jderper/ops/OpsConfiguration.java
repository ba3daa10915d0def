package io.jderper.ops;

import io.jderper.config.DebugProperties;
import io.jderper.config.DerperProperties;
import io.jderper.config.RelayProperties;
import io.jderper.config.TlsProperties;
import io.jderper.http.DebugAccess;
import io.jderper.server.DerpServer;
import io.jderper.stun.StunServer;
import io.jderper.tls.ServerTls;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

import java.time.Clock;

/**
 * Health components ({@code derp}, {@code stun}, {@code tls}; bean names minus "HealthIndicator"), the readiness step
 * of graceful shutdown, process gauges, and the {@code /debug/} pages. Which component feeds which probe group is
 * configured in application.yml ({@code management.endpoint.health.group.*}).
 */
@Configuration(proxyBeanMethods = false)
public class OpsConfiguration {

    @Bean
    DebugAccess debugAccess(DebugProperties debug) {
        return new DebugAccess(System::getenv, debug.adminCidrs());
    }

    @Bean
    MainListener mainListener() {
        return new MainListener();
    }

    @Bean
    ShutdownReadiness shutdownReadiness(ApplicationEventPublisher events) {
        return new ShutdownReadiness(events);
    }

    @Bean
    HealthIndicator derpHealthIndicator(DerpServer server, RelayProperties relay, MainListener listener,
                                        ShutdownReadiness shutdown) {
        return new DerpHealthIndicator(server, relay, listener, shutdown);
    }

    @Bean
    HealthIndicator stunHealthIndicator(StunServer stun) {
        return new StunHealthIndicator(stun);
    }

    @Bean
    HealthIndicator tlsHealthIndicator(TlsProperties tls, DerperProperties core, ObjectProvider<CertificateStatus> status,
                                       ObjectProvider<ServerTls> serverTls) {
        return new TlsHealthIndicator(tls.tlsEnabled(core), tls.mode(), () -> status.getIfAvailable(() -> {
            ServerTls st = serverTls.getIfAvailable();
            return st == null ? null : new ServerTlsCertificateStatus(st, core.hostname());
        }), Clock.systemUTC());
    }

    @Bean
    ManagementPortGuard managementPortGuard(ObjectProvider<PathMappedEndpoints> endpoints) {
        return new ManagementPortGuard(endpoints);
    }

    /** /debug on the port-80 listener of TLS mode (the TLS module picks this bean up if present). */
    @Bean
    Port80DebugPages port80DebugPages(ObjectProvider<HttpHandler> application, DebugAccess access) {
        return new Port80DebugPages(application, access);
    }

    @Bean
    ProcessMetrics processMetrics() {
        return new ProcessMetrics();
    }

    /** Before the home page's catch-all (lowest precedence); the paths do not overlap the relay's own routes. */
    @Bean
    @Order(100)
    RouterFunction<ServerResponse> debugRoutes(DerperProperties core, DerpServer server, DebugAccess access,
                                               MeterRegistry registry, ProcessMetrics process) {
        return new DebugRoutes(core, server, access, new VarzWriter(server.metrics(), registry, process),
                new VarsWriter(server.metrics(), registry, process), TrafficStream.PERIOD).routes();
    }
}
