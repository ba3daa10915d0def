package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Socket options and admission rates ({@code derper.limits.*}).
 *
 * @param tcpKeepaliveTime      {@code -tcp-keepalive-time}
 * @param tcpUserTimeout        {@code -tcp-user-timeout}
 * @param acceptConnectionLimit {@code -accept-connection-limit}: accepted connections per second (TLS listener)
 * @param acceptConnectionBurst {@code -accept-connection-burst}
 * @param rateConfig            {@code -rate-config}: JSON file with per-client receive limits
 */
@ConfigurationProperties("derper.limits")
public record LimitsProperties(
        @DefaultValue("10m") Duration tcpKeepaliveTime,
        @DefaultValue("15s") Duration tcpUserTimeout,
        @DefaultValue("Infinity") double acceptConnectionLimit,
        @DefaultValue("9223372036854775807") long acceptConnectionBurst,
        Path rateConfig) {
}
