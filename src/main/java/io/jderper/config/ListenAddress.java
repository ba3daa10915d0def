package io.jderper.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A parsed {@code -a} value. An empty host means all interfaces (dual stack).
 */
public record ListenAddress(String host, int port) {

    public static ListenAddress parse(String text, String property) {
        if (text == null) {
            throw new IllegalArgumentException(property + " must be ':port', 'ip:port' or '[ipv6]:port', got nothing");
        }
        String host;
        String portText;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException(property + " must be '[ipv6]:port', got '" + text + "'");
            }
            host = text.substring(1, close);
            portText = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0 || text.indexOf(':') != colon) {
                throw new IllegalArgumentException(property + " must be ':port', 'ip:port' or '[ipv6]:port', got '" + text + "'");
            }
            host = text.substring(0, colon);
            portText = text.substring(colon + 1);
        }
        int port;
        if (portText.equals("https")) {
            port = 443;
        } else if (portText.equals("http")) {
            port = 80;
        } else {
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(property + " has a port that is not a number: '" + text + "'");
            }
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(property + " port must be 0..65535, got " + port);
        }
        return new ListenAddress(host, port);
    }

    public boolean allInterfaces() {
        return host.isEmpty();
    }

    /** The address to bind: the wildcard for an empty host. */
    public InetSocketAddress toSocketAddress(int portOverride) {
        if (allInterfaces()) {
            return new InetSocketAddress(portOverride);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), portOverride);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("derper.listen host '" + host + "' does not resolve", e);
        }
    }

    public InetSocketAddress toSocketAddress() {
        return toSocketAddress(port);
    }
}
