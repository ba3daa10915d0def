package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The plain-HTTP side listener used next to TLS ({@code derper.http.*}).
 *
 * @param port {@code -http-port}: port of the plain-HTTP listener that runs beside TLS (ACME challenges, redirects to
 *             HTTPS), on the IP of {@code derper.listen}; -1 disables it
 */
@ConfigurationProperties("derper.http")
public record HttpPortProperties(@DefaultValue("80") int port) {
    public HttpPortProperties {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("derper.http.port must be -1 (disabled) or 0..65535, got " + port);
        }
    }

    public boolean enabled() {
        return port >= 0;
    }
}
