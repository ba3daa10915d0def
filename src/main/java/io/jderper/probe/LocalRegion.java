package io.jderper.probe;

import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DERP map behind {@code -derp-map local}: one region made of this server (when the prober runs inside one) and
 * the mesh siblings its {@code derper.mesh.*} settings name, resolved afresh on every build so that a moved sibling
 * or a scaled DNS-discovered region is followed.
 */
final class LocalRegion {
    static final int REGION_ID = 900;
    static final String REGION_CODE = "local";

    /** This server as the prober inside it reaches it. */
    record Self(String hostName, InetAddress listenIp, int derpPort, boolean tls, int stunPort) {
    }

    /**
     * @param self            this server, or null for a prober of its own
     * @param meshWith        {@code derper.mesh.with} entries: {@code host[:port]} or {@code host[:port]/dial-host}
     * @param dnsName         with DNS discovery, the name whose addresses are the region's nodes; else empty
     * @param dialPort        port for entries without one (0 = this server's port, or 443 without one)
     * @param meshTls         whether siblings speak TLS
     * @param siblingStunPort STUN port of the siblings, -1 for none
     */
    record Config(Self self, List<String> meshWith, String dnsName, int dialPort, boolean meshTls, int siblingStunPort) {
    }

    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private LocalRegion() {
    }

    static DerpMap build(Config config, Resolver resolver) {
        Map<String, DerpMap.Node> nodes = new LinkedHashMap<>();
        Self self = config.self();
        int defaultPort = config.dialPort() != 0 ? config.dialPort() : self != null ? self.derpPort() : 443;
        if (self != null) {
            String ip = self.listenIp() == null || self.listenIp().isAnyLocalAddress()
                    ? "127.0.0.1" : NetUtil.toAddressString(self.listenIp());
            boolean v6 = self.listenIp() instanceof Inet6Address && !self.listenIp().isAnyLocalAddress();
            String name = self.hostName();
            nodes.put(name, new DerpMap.Node(name, REGION_ID, self.hostName(), "", v6 ? "none" : ip, v6 ? ip : "",
                    self.stunPort() < 0 ? -1 : self.stunPort(), false, self.derpPort(), false, !self.tls()));
        }
        for (String entry : config.meshWith()) {
            String hostPart = entry;
            String dialHost = null;
            int slash = entry.indexOf('/');
            if (slash >= 0) {
                hostPart = entry.substring(0, slash);
                dialHost = entry.substring(slash + 1);
            }
            String host = hostPart;
            int port = defaultPort;
            int colon = hostPart.lastIndexOf(':');
            if (colon > 0 && hostPart.indexOf(':') == colon) {
                host = hostPart.substring(0, colon);
                port = Integer.parseInt(hostPart.substring(colon + 1));
            } else if (hostPart.startsWith("[") && hostPart.contains("]:")) {
                host = hostPart.substring(1, hostPart.indexOf(']'));
                port = Integer.parseInt(hostPart.substring(hostPart.indexOf("]:") + 2));
            }
            InetAddress[] addresses = resolveQuietly(resolver, dialHost != null ? dialHost : host);
            if (isSelf(self, addresses, port)) {
                continue;
            }
            String name = port == defaultPort ? host : host + ":" + port;
            nodes.putIfAbsent(name, node(name, host, addresses, port, config));
        }
        if (config.dnsName() != null && !config.dnsName().isEmpty()) {
            for (InetAddress a : resolveQuietly(resolver, config.dnsName())) {
                if (isSelf(self, new InetAddress[] {a}, defaultPort)) {
                    continue;
                }
                String text = NetUtil.toAddressString(a);
                nodes.putIfAbsent(text, node(text, text, new InetAddress[] {a}, defaultPort, config));
            }
        }
        return new DerpMap(Map.of(REGION_ID, new DerpMap.Region(REGION_ID, REGION_CODE, "jderper region", new ArrayList<>(nodes.values()))));
    }

    private static DerpMap.Node node(String name, String host, InetAddress[] addresses, int port, Config config) {
        String v4 = "";
        String v6 = "";
        for (InetAddress a : addresses) {
            if (a instanceof Inet4Address && v4.isEmpty()) {
                v4 = NetUtil.toAddressString(a);
            } else if (a instanceof Inet6Address && v6.isEmpty()) {
                v6 = NetUtil.toAddressString(a);
            }
        }
        // Only what resolved is dialled: an empty field would make the client resolve the name itself.
        if (addresses.length > 0) {
            v4 = v4.isEmpty() ? "none" : v4;
            v6 = v6.isEmpty() ? "none" : v6;
        }
        return new DerpMap.Node(name, REGION_ID, host, "", v4, v6, config.siblingStunPort(), false, port, false, !config.meshTls());
    }

    private static InetAddress[] resolveQuietly(Resolver resolver, String host) {
        try {
            return resolver.resolve(host);
        } catch (UnknownHostException e) {
            return new InetAddress[0];
        }
    }

    /** Whether an entry is this server: the same port on the address it listens on (any local one for a wildcard). */
    static boolean isSelf(Self self, InetAddress[] addresses, int port) {
        if (self == null || port != self.derpPort()) {
            return false;
        }
        for (InetAddress a : addresses) {
            if (self.listenIp() != null && !self.listenIp().isAnyLocalAddress()) {
                if (self.listenIp().equals(a)) {
                    return true;
                }
            } else if (isLocal(a)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLocal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return false;
        }
    }
}
