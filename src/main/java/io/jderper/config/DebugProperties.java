package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.util.List;

/**
 * Access to the {@code /debug/} pages ({@code derper.debug.*}). The original's rule (loopback, Tailscale addresses,
 * {@code TS_ALLOW_DEBUG_IP}, {@code TS_DEBUG_TRUSTED_CIDRS}, {@code TS_DEBUG_KEY_PATH}) always applies; this adds to it.
 *
 * @param adminCidrs further source prefixes (e.g. {@code 10.0.0.0/8}, {@code 2001:db8::/32}) allowed to read the
 *                   debug pages; requests carrying {@code X-Forwarded-For} are refused regardless
 */
@ConfigurationProperties("derper.debug")
public record DebugProperties(@DefaultValue List<String> adminCidrs) {

    public DebugProperties {
        adminCidrs = adminCidrs == null ? List.of() : List.copyOf(adminCidrs);
    }
}
