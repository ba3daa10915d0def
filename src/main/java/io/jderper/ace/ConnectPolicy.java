package io.jderper.ace;

import io.jderper.config.AceProperties;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which CONNECT targets the proxy dials. The port must be listed exactly as digits ({@code 0443} is refused, as the
 * original compares strings); the host must match an allowed suffix or exact name and contain no denied substring.
 * Host names compare case-insensitively, so {@code DERP1.Tailscale.com} is refused like {@code derp1.tailscale.com}.
 */
final class ConnectPolicy {

    enum Verdict { ALLOWED, BAD_HOST, BAD_PORT }

    private final List<String> allowed;
    private final List<String> denied;
    private final Set<String> ports;

    ConnectPolicy(AceProperties properties) {
        this.allowed = properties.allowedHostSuffixes();
        this.denied = properties.deniedHostSubstrings();
        this.ports = Set.copyOf(properties.allowedPorts().stream().map(String::valueOf).toList());
    }

    Verdict check(ConnectTarget target) {
        // The original checks the port first; the order only matters for which refusal is counted.
        if (!ports.contains(target.port())) {
            return Verdict.BAD_PORT;
        }
        String host = target.host().toLowerCase(Locale.ROOT);
        for (String d : denied) {
            if (host.contains(d)) {
                return Verdict.BAD_HOST;
            }
        }
        for (String a : allowed) {
            boolean match = a.startsWith(".") ? host.endsWith(a) && host.length() > a.length() : host.equals(a);
            if (match) {
                return Verdict.ALLOWED;
            }
        }
        return Verdict.BAD_HOST;
    }
}
