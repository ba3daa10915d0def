package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * STUN on UDP ({@code derper.stun.*}).
 *
 * @param enabled        {@code -stun}: whether to answer STUN binding requests on UDP
 * @param port           {@code -stun-port}: UDP port of the STUN server, on the IP of {@code derper.listen}
 * @param genericClients also answer plain RFC 5389/8489 Binding requests, not just Tailscale's
 */
@ConfigurationProperties("derper.stun")
public record StunProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("3478") int port,
        @DefaultValue("false") boolean genericClients) {
    public StunProperties {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("derper.stun.port must be 0..65535, got " + port);
        }
    }
}
