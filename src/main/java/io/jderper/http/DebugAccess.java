package io.jderper.http;

import io.netty.util.NetUtil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Who may see {@code /debug/} (derper-behaviour.md §15). Allowed: a GET carrying {@code debugkey} equal to the
 * trimmed content of the file named by {@code TS_DEBUG_KEY_PATH}; otherwise, only without {@code X-Forwarded-For}, a
 * client that is loopback, a Tailscale address (100.64.0.0/10 except ChromeOS's 100.115.92.0/23, fd7a:115c:a1e0::/48),
 * equal to {@code TS_ALLOW_DEBUG_IP}, or inside {@code TS_DEBUG_TRUSTED_CIDRS} or {@code derper.debug.admin-cidrs}.
 *
 * <p>Trusted prefixes are checked on their own, so a prefix covering the ChromeOS range does admit it, as in the
 * original. Addresses are parsed as literals only: no setting here ever causes a DNS lookup.
 */
public final class DebugAccess {
    private static final Cidr CGNAT = Cidr.parse("100.64.0.0/10");
    private static final Cidr CHROME_OS_VMS = Cidr.parse("100.115.92.0/23");
    private static final Cidr TAILSCALE_ULA = Cidr.parse("fd7a:115c:a1e0::/48");

    private final byte[] allowedIp;
    private final List<Cidr> trusted;
    private final Path debugKeyPath;

    /**
     * @param env        environment lookup ({@code System::getenv} in production)
     * @param adminCidrs {@code derper.debug.admin-cidrs}
     * @throws IllegalStateException naming the variable or property when a prefix does not parse
     */
    public DebugAccess(Function<String, String> env, List<String> adminCidrs) {
        String ip = env.apply("TS_ALLOW_DEBUG_IP");
        // Not an IP literal: the original compares strings, so such a value simply never matches.
        allowedIp = ip == null || ip.isBlank() ? null : NetUtil.createByteArrayFromIpAddressString(ip.strip());
        List<Cidr> prefixes = new ArrayList<>();
        String cidrs = env.apply("TS_DEBUG_TRUSTED_CIDRS");
        if (cidrs != null) {
            addAll(prefixes, List.of(cidrs.split(",")), "TS_DEBUG_TRUSTED_CIDRS");
        }
        addAll(prefixes, adminCidrs, "derper.debug.admin-cidrs");
        trusted = List.copyOf(prefixes);
        String keyPath = env.apply("TS_DEBUG_KEY_PATH");
        debugKeyPath = keyPath == null || keyPath.isEmpty() ? null : Path.of(keyPath);
    }

    /** The original's rule alone, without {@code derper.debug.admin-cidrs}. */
    public DebugAccess(Function<String, String> env) {
        this(env, List.of());
    }

    private static void addAll(List<Cidr> into, List<String> texts, String source) {
        for (String raw : texts) {
            String c = raw.strip();
            if (c.isEmpty()) {
                continue;
            }
            try {
                into.add(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(source + ": invalid CIDR prefix '" + c + "' (" + e.getMessage() + ")", e);
            }
        }
    }

    /**
     * @param client        the peer address of the TCP connection, or null when unknown
     * @param forwardedFor  the first {@code X-Forwarded-For} value, or null
     * @param method        the HTTP method
     * @param debugKeyParam the {@code debugkey} query parameter, or null
     */
    public boolean allowed(InetAddress client, String forwardedFor, String method, String debugKeyParam) {
        if ("GET".equals(method) && keyMatches(debugKeyParam)) {
            return true;
        }
        if (forwardedFor != null && !forwardedFor.isEmpty()) {
            return false;
        }
        if (client == null) {
            return false;
        }
        byte[] a = unmap(client.getAddress());
        if (client.isLoopbackAddress() || isLoopback(a)) {
            return true;
        }
        if (a.length == 4 ? CGNAT.contains(a) && !CHROME_OS_VMS.contains(a) : TAILSCALE_ULA.contains(a)) {
            return true;
        }
        if (allowedIp != null && Arrays.equals(unmap(allowedIp), a)) {
            return true;
        }
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /**
     * As {@link #allowed(InetAddress, String, String, String)}, for callers that only know whether a non-empty
     * {@code X-Forwarded-For} was present.
     */
    public boolean allowed(InetAddress client, boolean forwarded, String method, String debugKeyParam) {
        return allowed(client, forwarded ? "forwarded" : null, method, debugKeyParam);
    }

    /** Read on each use, as the original does, so the key can be rotated without a restart. */
    private boolean keyMatches(String param) {
        if (param == null || param.isEmpty() || debugKeyPath == null) {
            return false;
        }
        try {
            return Files.readString(debugKeyPath).strip().equals(param);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The client's address as the original prints it in the dev-mode denial hint. */
    public static String hintAddress(InetAddress client) {
        return client == null ? "" : IpText.format(client);
    }

    private static boolean isLoopback(byte[] a) {
        try {
            return InetAddress.getByAddress(a).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    static byte[] unmap(byte[] a) {
        return a.length == 16 && IpText.isMappedIpv4(a) ? Arrays.copyOfRange(a, 12, 16) : a;
    }

    /** An address prefix; a 4-byte network only matches 4-byte (unmapped) addresses. */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("no prefix length");
            }
            byte[] addr = NetUtil.createByteArrayFromIpAddressString(text.substring(0, slash));
            if (addr == null || text.substring(0, slash).contains("%")) {
                throw new IllegalArgumentException("not an IP address");
            }
            int bits;
            try {
                bits = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length");
            }
            if (bits < 0 || bits > addr.length * 8) {
                throw new IllegalArgumentException("prefix length out of range");
            }
            return new Cidr(addr, bits);
        }

        boolean contains(byte[] a) {
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
    }
}
