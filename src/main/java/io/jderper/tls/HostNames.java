package io.jderper.tls;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Host-name rules of the original: IP literal detection, file-name sanitising, certificate name checks. */
public final class HostNames {
    private static final Pattern UNSAFE_FILE_CHARS = Pattern.compile("[^a-zA-Z0-9.-]");
    /** With {@code -hostname derp.tailscale.com} the original accepts every {@code derp*.tailscale.com}. */
    private static final Pattern TAILSCALE_PROD = Pattern.compile("^derp([^.]*)\\.tailscale\\.com\\.?$");
    static final String TAILSCALE_PROD_HOSTNAME = "derp.tailscale.com";

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private HostNames() {
    }

    /** Parses an IP literal (IPv6 with or without brackets) without ever doing a DNS lookup. */
    public static Optional<InetAddress> ipLiteral(String host) {
        if (host == null || host.isEmpty()) {
            return Optional.empty();
        }
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!NetUtil.isValidIpV4Address(h) && !NetUtil.isValidIpV6Address(h)) {
            return Optional.empty();
        }
        InetAddress a = NetUtil.createInetAddressFromIpAddressString(h);
        return Optional.ofNullable(a).map(HostNames::unmap);
    }

    /** IPv4-mapped IPv6 addresses compare as their IPv4 form, as Go's netip Unmap does. */
    static InetAddress unmap(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }

    /** Manual-mode file base name: every character outside {@code [A-Za-z0-9.-]} removed. */
    public static String fileBaseName(String hostname) {
        return UNSAFE_FILE_CHARS.matcher(hostname).replaceAll("");
    }

    /** IP-certificate file base name: the textual IP with IPv6 colons turned into dots. */
    static String ipFileBaseName(InetAddress ip) {
        return NetUtil.toAddressString(ip).replace(':', '.');
    }

    /** The reverse-DNS name of an IP (RFC 8738: the SNI of a TLS-ALPN-01 validation for an IP identifier). */
    static String reverseName(InetAddress ip) {
        byte[] b = unmap(ip).getAddress();
        StringBuilder sb = new StringBuilder();
        if (b.length == 4) {
            for (int i = 3; i >= 0; i--) {
                sb.append(b[i] & 0xff).append('.');
            }
            return sb.append("in-addr.arpa").toString();
        }
        for (int i = 15; i >= 0; i--) {
            sb.append(Character.forDigit(b[i] & 0xf, 16)).append('.').append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append('.');
        }
        return sb.append("ip6.arpa").toString();
    }

    static boolean isTailscaleProdName(String name) {
        return TAILSCALE_PROD.matcher(name).matches();
    }

    /**
     * Whether the certificate is valid for the host name, by subjectAltName only (no CN fallback), with
     * single-label wildcards for DNS names: the same rule Go's {@code VerifyHostname} applies.
     */
    public static boolean certificateMatches(X509Certificate cert, String hostname) {
        List<List<?>> sans;
        try {
            var raw = cert.getSubjectAlternativeNames();
            sans = raw == null ? List.of() : List.copyOf(raw);
        } catch (CertificateParsingException e) {
            return false;
        }
        Optional<InetAddress> ip = ipLiteral(hostname);
        if (ip.isPresent()) {
            for (List<?> san : sans) {
                if (((Integer) san.get(0)) == SAN_IP) {
                    Optional<InetAddress> sanIp = ipLiteral((String) san.get(1));
                    if (sanIp.isPresent() && sanIp.get().equals(ip.get())) {
                        return true;
                    }
                }
            }
            return false;
        }
        String host = normaliseDns(hostname);
        for (List<?> san : sans) {
            if (((Integer) san.get(0)) == SAN_DNS && dnsMatches(normaliseDns((String) san.get(1)), host)) {
                return true;
            }
        }
        return false;
    }

    static String normaliseDns(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.equals(host)) {
            return true;
        }
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return false;
    }
}
