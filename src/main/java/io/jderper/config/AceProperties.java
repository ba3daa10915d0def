package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The control-plane CONNECT proxy ({@code derper.ace.*}), the original's {@code -ace}. The defaults are the original's
 * fixed policy: TLS clients may tunnel to {@code *.tailscale.com} on ports 443 and 80, never to a host whose name
 * contains {@code derp}.
 *
 * @param enabled               {@code -ace}: answer {@code CONNECT host:port} on the TLS main listener
 * @param allowedHostSuffixes   an entry starting with a dot admits every host ending in it ({@code .tailscale.com});
 *                              an entry without one admits exactly that host ({@code headscale.example.com}).
 *                              Compared case-insensitively
 * @param deniedHostSubstrings  hosts containing any of these are refused even when a suffix admits them
 * @param allowedPorts          target ports
 * @param idleTimeout           a tunnel that carries no byte either way for this long is closed; 0 disables
 * @param connectTimeout        time allowed to resolve and connect to the target (the original's 15 s)
 */
@ConfigurationProperties("derper.ace")
public record AceProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue(".tailscale.com") List<String> allowedHostSuffixes,
        @DefaultValue("derp") List<String> deniedHostSubstrings,
        @DefaultValue({"443", "80"}) List<Integer> allowedPorts,
        @DefaultValue("10m") Duration idleTimeout,
        @DefaultValue("15s") Duration connectTimeout) {

    public AceProperties {
        allowedHostSuffixes = hostPatterns(allowedHostSuffixes, "derper.ace.allowed-host-suffixes");
        deniedHostSubstrings = hostPatterns(deniedHostSubstrings, "derper.ace.denied-host-substrings");
        allowedPorts = allowedPorts == null ? List.of() : List.copyOf(allowedPorts);
        for (Integer port : allowedPorts) {
            if (port == null || port < 1 || port > 65535) {
                throw new IllegalArgumentException("derper.ace.allowed-ports entries must be 1..65535, got " + port);
            }
        }
        if (enabled && allowedHostSuffixes.isEmpty()) {
            throw new IllegalArgumentException("derper.ace.allowed-host-suffixes must name at least one host or suffix"
                    + " when derper.ace.enabled is true");
        }
        if (enabled && allowedPorts.isEmpty()) {
            throw new IllegalArgumentException("derper.ace.allowed-ports must name at least one port"
                    + " when derper.ace.enabled is true");
        }
        if (idleTimeout == null || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("derper.ace.idle-timeout must not be negative, got " + idleTimeout);
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("derper.ace.connect-timeout must be a positive duration, got " + connectTimeout);
        }
    }

    /** Lower-cased, blank entries refused: a stray comma must not silently admit every host. */
    private static List<String> hostPatterns(List<String> entries, String property) {
        if (entries == null) {
            return List.of();
        }
        for (String e : entries) {
            if (e == null || e.isBlank() || e.equals(".") || !e.chars().allMatch(AceProperties::hostChar)) {
                throw new IllegalArgumentException(property + " entries must be non-empty host names or suffixes"
                        + " (letters, digits, '-', '.', '_'), got \"" + e + "\"");
            }
        }
        return entries.stream().map(e -> e.toLowerCase(Locale.ROOT)).toList();
    }

    private static boolean hostChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    }
}
