package io.jderper.ace;

import java.util.Optional;

/**
 * The target of {@code CONNECT host:port}, read from the request target the way Go's {@code net.SplitHostPort}
 * reads it: the port follows the last colon, an IPv6 literal is bracketed ({@code [::1]:443}, host {@code ::1}),
 * and a target without a port, with a path or scheme, or with an unbracketed colon in the host is not a target.
 *
 * @param host the host name or address literal, without brackets
 * @param port the port as written (the policy compares numbers, so {@code 0443} is not {@code 443})
 */
record ConnectTarget(String host, String port) {

    static Optional<ConnectTarget> parse(String authority) {
        if (authority == null || authority.isEmpty()) {
            return Optional.empty();
        }
        int colon = authority.lastIndexOf(':');
        if (colon < 0) {
            return Optional.empty(); // missing port
        }
        String host;
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0 || close + 1 != colon) {
                return Optional.empty(); // unclosed bracket, or something between ']' and the port's colon
            }
            host = authority.substring(1, close);
            if (host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
                return Optional.empty();
            }
        } else {
            host = authority.substring(0, colon);
            if (host.indexOf(':') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
                return Optional.empty(); // too many colons: an IPv6 literal must be bracketed
            }
        }
        String port = authority.substring(colon + 1);
        if (port.indexOf(']') >= 0 || port.indexOf('[') >= 0 || host.indexOf('/') >= 0 || port.indexOf('/') >= 0) {
            return Optional.empty();
        }
        return Optional.of(new ConnectTarget(host, port));
    }

    /** The port as a number; only for a target the policy allowed, whose port is one of the listed numbers. */
    int portNumber() {
        return Integer.parseInt(port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
