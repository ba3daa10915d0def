package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Relay behaviour ({@code derper.relay.*}).
 *
 * @param enabled            {@code -derp}: false keeps the other endpoints but answers /derp with 404
 * @param sendQueueDepth     per-connection queue length, for data and for disco packets each (original: 32)
 * @param keepAlive          KeepAlive period; each connection adds a jitter below {@code keepAliveJitter}
 * @param keepAliveJitter    upper bound of the random extra added to each connection's KeepAlive period, so that
 *                           connections opened together do not send their KeepAlives together
 * @param handshakeTimeout   time allowed between the upgrade and a complete ClientInfo
 * @param writeTimeout       {@code -tcp-write-timeout}: a write to a regular client pending longer closes it; 0 disables
 * @param meshWriteTimeout   the same for mesh-key connections
 * @param drainPeriod        graceful shutdown: Restarting frames go out, then connections close spread over this period
 * @param restartReconnectIn advisory delay put in Restarting frames
 * @param restartTryFor      advisory retry window put in Restarting frames
 * @param readinessGrace     graceful shutdown: time between readiness going down and the first Restarting frame, so
 *                           load balancers that health-check /actuator/health/readiness stop sending new clients
 * @param tcpRttInterval     how often each connection's kernel TCP round-trip estimate is sampled into
 *                           {@code derp_tcp_rtt} (Linux epoll transport only); 0 disables, as the original's
 *                           {@code TS_DERP_DISABLE_RTT_STATS} does, for servers with very many connections
 */
@ConfigurationProperties("derper.relay")
public record RelayProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("32") int sendQueueDepth,
        @DefaultValue("60s") Duration keepAlive,
        @DefaultValue("5s") Duration keepAliveJitter,
        @DefaultValue("10s") Duration handshakeTimeout,
        @DefaultValue("2s") Duration writeTimeout,
        @DefaultValue("30s") Duration meshWriteTimeout,
        @DefaultValue("10s") Duration drainPeriod,
        @DefaultValue("500ms") Duration restartReconnectIn,
        @DefaultValue("10s") Duration restartTryFor,
        @DefaultValue("0s") Duration readinessGrace,
        @DefaultValue("10s") Duration tcpRttInterval) {

    public RelayProperties {
        if (sendQueueDepth < 1 || sendQueueDepth > 4096) {
            throw new IllegalArgumentException("derper.relay.send-queue-depth must be 1..4096, got " + sendQueueDepth);
        }
        requirePositive(keepAlive, "derper.relay.keep-alive");
        requireNonNegative(keepAliveJitter, "derper.relay.keep-alive-jitter");
        requirePositive(handshakeTimeout, "derper.relay.handshake-timeout");
        requireNonNegative(writeTimeout, "derper.relay.write-timeout");
        requirePositive(meshWriteTimeout, "derper.relay.mesh-write-timeout");
        requireNonNegative(drainPeriod, "derper.relay.drain-period");
        requireNonNegative(restartReconnectIn, "derper.relay.restart-reconnect-in");
        requireNonNegative(restartTryFor, "derper.relay.restart-try-for");
        requireNonNegative(readinessGrace, "derper.relay.readiness-grace");
        requireNonNegative(tcpRttInterval, "derper.relay.tcp-rtt-interval");
    }

    static void requirePositive(Duration d, String property) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(property + " must be a positive duration, got " + d);
        }
    }

    static void requireNonNegative(Duration d, String property) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(property + " must not be negative, got " + d);
        }
    }
}
