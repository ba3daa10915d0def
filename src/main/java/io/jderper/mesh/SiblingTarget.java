package io.jderper.mesh;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * One sibling derper to keep a link to.
 *
 * @param name     how logs, health and the link table name it: the {@code derper.mesh.with} entry as written, or the
 *                 discovered address
 * @param url      where the link goes: {@code https://host[:port]/derp} (or {@code http} with TLS off); TLS server name
 *                 and certificate host check use this host, as the original does
 * @param dialHost host (name or literal) the TCP connection goes to, when it differs from the URL's host; else null
 * @param port     TCP port to dial
 */
record SiblingTarget(String name, URI url, String dialHost, int port) {

    /** The host to resolve and dial: the dial host if given, else the URL's host without IPv6 brackets. */
    String hostToDial() {
        return dialHost != null ? dialHost : unbracket(url.getHost());
    }

    boolean tls() {
        return url.getScheme().equals("https");
    }

    /** True when the URL names the sibling by address, so there is no host name a certificate could be checked for. */
    boolean urlHostIsAddress() {
        return isAddressLiteral(unbracket(url.getHost()));
    }

    /**
     * A {@code derper.mesh.with} entry: {@code host[:port]} or {@code host[:port]/dial-host[:port]}. The port, when
     * absent, is {@code defaultPort}. A port on the dial host (a jderper extension) overrides the URL's for the dial.
     */
    static SiblingTarget fromEntry(String entry, boolean tls, int defaultPort) {
        SiblingEntry e = SiblingEntry.parse(entry);
        int port = e.port().orElse(defaultPort);
        String dialHost = e.dialHost();
        int dialPort = e.dialPort().orElse(port);
        return new SiblingTarget(e.raw(), url(tls, e.host(), port), dialHost, dialPort);
    }

    /**
     * A sibling found by DNS discovery: reached and named by its address. With a {@code serverName} the link's URL
     * carries that name instead (SNI and certificate check), and the address becomes the dial host.
     */
    static SiblingTarget fromAddress(InetAddress address, boolean tls, int port, String serverName) {
        String literal = address.getHostAddress();
        int scope = literal.indexOf('%');
        if (scope >= 0) {
            literal = literal.substring(0, scope);
        }
        String urlHost = address instanceof Inet6Address ? "[" + literal + "]" : literal;
        if (serverName != null && !serverName.isBlank()) {
            return new SiblingTarget(urlHost + ":" + port, url(tls, serverName, port), literal, port);
        }
        return new SiblingTarget(urlHost + ":" + port, url(tls, literal, port), null, port);
    }

    private static URI url(boolean tls, String host, int port) {
        String scheme = tls ? "https" : "http";
        int defaultPort = tls ? 443 : 80;
        String h = host.contains(":") ? "[" + host + "]" : host;
        return URI.create(scheme + "://" + h + (port == defaultPort ? "" : ":" + port) + "/derp");
    }

    static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    static boolean isAddressLiteral(String host) {
        if (host.contains(":")) {
            return true;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * A parsed {@code derper.mesh.with} entry. Host names compare case-insensitively, so they are kept lower-case.
     */
    record SiblingEntry(String raw, String host, OptionalInt port, String dialHost, OptionalInt dialPort) {

        static SiblingEntry parse(String entry) {
            String raw = entry.strip();
            if (raw.isEmpty()) {
                throw new IllegalArgumentException("derper.mesh.with has an empty entry");
            }
            String[] parts = raw.split("/", -1);
            if (parts.length > 2) {
                throw new IllegalArgumentException("derper.mesh.with entry '" + raw + "' has more than one '/'");
            }
            HostPort main = HostPort.parse(parts[0], raw);
            HostPort dial = parts.length == 2 ? HostPort.parse(parts[1], raw) : null;
            return new SiblingEntry(raw, main.host(), main.port(), dial == null ? null : dial.host(),
                    dial == null ? OptionalInt.empty() : dial.port());
        }

        /** True when this entry names the node itself: same host name and no other port than the node's own. */
        boolean namesSelf(String ownHostname, int ownPort) {
            return host.equalsIgnoreCase(ownHostname) && (port.isEmpty() || port.getAsInt() == ownPort);
        }
    }

    private record HostPort(String host, OptionalInt port) {
        static HostPort parse(String text, String entry) {
            String t = text.strip();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("derper.mesh.with entry '" + entry + "' has an empty host");
            }
            if (t.startsWith("[")) {
                int close = t.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("derper.mesh.with entry '" + entry + "': unclosed '['");
                }
                String host = t.substring(1, close);
                String rest = t.substring(close + 1);
                if (rest.isEmpty()) {
                    return new HostPort(host, OptionalInt.empty());
                }
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("derper.mesh.with entry '" + entry + "': junk after ']'");
                }
                return new HostPort(host, OptionalInt.of(port(rest.substring(1), entry)));
            }
            int colon = t.indexOf(':');
            if (colon < 0) {
                return new HostPort(t.toLowerCase(Locale.ROOT), OptionalInt.empty());
            }
            if (t.indexOf(':', colon + 1) >= 0) {
                // Several colons and no brackets: a bare IPv6 address without a port.
                return new HostPort(t, OptionalInt.empty());
            }
            return new HostPort(t.substring(0, colon).toLowerCase(Locale.ROOT), OptionalInt.of(port(t.substring(colon + 1), entry)));
        }

        private static int port(String text, String entry) {
            try {
                int p = Integer.parseInt(text);
                if (p >= 1 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("derper.mesh.with entry '" + entry + "': port '" + text + "' is not 1-65535");
        }
    }
}
