package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Socket options, admission rates and resource caps ({@code derper.limits.*}).
 *
 * @param tcpKeepaliveTime         {@code -tcp-keepalive-time}: idle time before TCP keepalive probes start on client
 *                                 connections (long, to spare mobile batteries)
 * @param tcpUserTimeout           {@code -tcp-user-timeout}: unacknowledged data older than this closes a client
 *                                 connection (short, so hung connections go promptly)
 * @param acceptConnectionLimit    {@code -accept-connection-limit}: accepted TCP connections per second on the main
 *                                 listener (token bucket refill rate); Infinity = unlimited
 * @param acceptConnectionBurst    {@code -accept-connection-burst}: token bucket size
 * @param rateConfig               {@code -rate-config}: JSON file with per-client receive limits, reloaded on SIGHUP
 * @param rateConfigWatch          also reload the rate config when the file (or its directory) changes
 * @param maxConnections           DERP connections (handshaking or registered) at a time; further upgrades get 503.
 *                                 0 = unlimited, as in the original
 * @param maxHttpConnectionsPerIp  connections one client IP may hold open that are not (yet) registered DERP sessions:
 *                                 TLS handshakes, HTTP requests, idle keep-alives, upgrades before ServerInfo.
 *                                 0 = unlimited
 * @param httpRequestTimeout       time a connection gets for its TLS handshake plus a complete HTTP request, and an
 *                                 idle keep-alive connection for its next request; DERP sessions are exempt once
 *                                 upgraded. 0 disables (not recommended)
 * @param maxPendingConnections    connections that are not (yet) registered DERP sessions, from all IPs together: TLS and
 *                                 WebSocket handshakes, HTTP requests, idle keep-alives, upgrades before ServerInfo.
 *                                 Beyond it new connections are closed on accept. 0 = unlimited
 * @param clientErrorLogInterval   errors clients cause (malformed HTTP, WebSocket or TLS input) are all counted in
 *                                 {@code derp_client_errors}, but logged at most once per this interval per kind
 */
@ConfigurationProperties("derper.limits")
public record LimitsProperties(
        @DefaultValue("10m") Duration tcpKeepaliveTime,
        @DefaultValue("15s") Duration tcpUserTimeout,
        @DefaultValue("Infinity") double acceptConnectionLimit,
        @DefaultValue("9223372036854775807") long acceptConnectionBurst,
        Path rateConfig,
        @DefaultValue("true") boolean rateConfigWatch,
        @DefaultValue("0") int maxConnections,
        @DefaultValue("0") int maxHttpConnectionsPerIp,
        @DefaultValue("30s") Duration httpRequestTimeout,
        @DefaultValue("0") int maxPendingConnections,
        @DefaultValue("1m") Duration clientErrorLogInterval) {

    public LimitsProperties {
        if (Double.isNaN(acceptConnectionLimit) || acceptConnectionLimit < 0) {
            throw new IllegalArgumentException("derper.limits.accept-connection-limit must be >= 0 (or Infinity), got "
                    + acceptConnectionLimit);
        }
        if (acceptConnectionBurst < 0) {
            throw new IllegalArgumentException("derper.limits.accept-connection-burst must be >= 0, got " + acceptConnectionBurst);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("derper.limits.max-connections must be >= 0 (0 = unlimited), got " + maxConnections);
        }
        if (maxHttpConnectionsPerIp < 0) {
            throw new IllegalArgumentException("derper.limits.max-http-connections-per-ip must be >= 0 (0 = unlimited), got "
                    + maxHttpConnectionsPerIp);
        }
        RelayProperties.requireNonNegative(httpRequestTimeout, "derper.limits.http-request-timeout");
        if (maxPendingConnections < 0) {
            throw new IllegalArgumentException("derper.limits.max-pending-connections must be >= 0 (0 = unlimited), got "
                    + maxPendingConnections);
        }
        RelayProperties.requireNonNegative(clientErrorLogInterval, "derper.limits.client-error-log-interval");
    }

    /** True when the accept limiter can ever refuse a connection. */
    public boolean acceptLimited() {
        return acceptConnectionLimit != Double.POSITIVE_INFINITY;
    }
}
