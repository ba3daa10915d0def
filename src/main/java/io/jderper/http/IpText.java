package io.jderper.http;

import java.net.InetAddress;

/** IP addresses written the way Go's {@code net.IP.String} writes them (RFC 5952 for IPv6, never a zone). */
public final class IpText {

    private IpText() {
    }

    public static String format(InetAddress address) {
        return format(address.getAddress());
    }

    static String format(byte[] a) {
        if (a.length == 4) {
            return dotted(a, 0);
        }
        if (isMappedIpv4(a)) {
            return dotted(a, 12);
        }
        // Longest run of two or more zero groups, the first on a tie, becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (group(a, i) != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && group(a, j) == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(group(a, i)));
        }
        return out.toString();
    }

    static boolean isMappedIpv4(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xFF) == 0xFF && (a[11] & 0xFF) == 0xFF;
    }

    private static int group(byte[] a, int i) {
        return (a[2 * i] & 0xFF) << 8 | (a[2 * i + 1] & 0xFF);
    }

    private static String dotted(byte[] a, int off) {
        return (a[off] & 0xFF) + "." + (a[off + 1] & 0xFF) + "." + (a[off + 2] & 0xFF) + "." + (a[off + 3] & 0xFF);
    }
}
