package io.jderper.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Who may see {@code /debug/}: loopback, Tailscale's CGNAT and ULA ranges, {@code TS_ALLOW_DEBUG_IP}, and prefixes in
 * {@code TS_DEBUG_TRUSTED_CIDRS} — and never a request that came through a proxy ({@code X-Forwarded-For}).
 */
public final class DebugAccess {
    private final List<Cidr> allowed = new ArrayList<>();
    private final List<Cidr> excluded = new ArrayList<>();
    private final String debugKey;

    public DebugAccess(Function<String, String> env) {
        allowed.add(Cidr.parse("100.64.0.0/10"));
        excluded.add(Cidr.parse("100.115.92.0/23"));
        allowed.add(Cidr.parse("fd7a:115c:a1e0::/48"));
        String ip = env.apply("TS_ALLOW_DEBUG_IP");
        if (ip != null && !ip.isBlank()) {
            allowed.add(Cidr.parse(ip.strip() + (ip.contains(":") ? "/128" : "/32")));
        }
        String cidrs = env.apply("TS_DEBUG_TRUSTED_CIDRS");
        if (cidrs != null && !cidrs.isBlank()) {
            for (String c : cidrs.split(",")) {
                try {
                    allowed.add(Cidr.parse(c.strip()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("TS_DEBUG_TRUSTED_CIDRS: invalid prefix '" + c.strip() + "'", e);
                }
            }
        }
        String keyPath = env.apply("TS_DEBUG_KEY_PATH");
        String key = null;
        if (keyPath != null && !keyPath.isBlank()) {
            try {
                key = java.nio.file.Files.readString(java.nio.file.Path.of(keyPath)).strip();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("TS_DEBUG_KEY_PATH: cannot read " + keyPath, e);
            }
        }
        this.debugKey = key;
    }

    public boolean allowed(InetAddress client, boolean forwarded, String method, String debugKeyParam) {
        if (debugKey != null && "GET".equals(method) && debugKey.equals(debugKeyParam)) {
            return true;
        }
        if (forwarded || client == null) {
            return false;
        }
        if (client.isLoopbackAddress()) {
            return true;
        }
        for (Cidr c : excluded) {
            if (c.contains(client)) {
                return false;
            }
        }
        for (Cidr c : allowed) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }

    record Cidr(byte[] network, int bits) {
        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("not a CIDR prefix: " + text);
            }
            try {
                byte[] addr = InetAddress.getByName(text.substring(0, slash)).getAddress();
                int bits = Integer.parseInt(text.substring(slash + 1));
                if (bits < 0 || bits > addr.length * 8) {
                    throw new IllegalArgumentException("bad prefix length: " + text);
                }
                return new Cidr(addr, bits);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("not a CIDR prefix: " + text, e);
            }
        }

        boolean contains(InetAddress ip) {
            byte[] a = ip.getAddress();
            if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
                a = java.util.Arrays.copyOfRange(a, 12, 16);
            }
            if (a.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (a[full] & mask) == (network[full] & mask);
        }

        private static boolean isV4Mapped(byte[] a) {
            for (int i = 0; i < 10; i++) {
                if (a[i] != 0) {
                    return false;
                }
            }
            return a[10] == (byte) 0xFF && a[11] == (byte) 0xFF;
        }
    }
}
