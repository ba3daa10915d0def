package io.jderper.probe;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code -derp-map local}: this server plus its mesh siblings as one region. */
class LocalRegionTest {

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A resolver with fixed answers, so the test never asks DNS. */
    static LocalRegion.Resolver hosts(Map<String, List<String>> table) {
        return host -> {
            List<String> a = table.get(host);
            if (a == null) {
                if (io.netty.util.NetUtil.isValidIpV4Address(host) || io.netty.util.NetUtil.isValidIpV6Address(host)) {
                    return new InetAddress[] {ip(host)};
                }
                throw new UnknownHostException(host);
            }
            return a.stream().map(LocalRegionTest::ip).toArray(InetAddress[]::new);
        };
    }

    @Test
    void selfAndStaticSiblingsWithTheirDialHostsAndPorts() {
        LocalRegion.Self self = new LocalRegion.Self("derp1.example.com", ip("127.0.0.2"), 8443, true, 3478);
        LocalRegion.Config config = new LocalRegion.Config(self,
                List.of("derp1.example.com:8443/127.0.0.2", "derp2.example.com/pod-2.svc", "derp3.example.com:9443"),
                "", 0, true, 3478);
        DerpMap map = LocalRegion.build(config, hosts(Map.of("pod-2.svc", List.of("127.0.0.3", "::1"),
                "derp3.example.com", List.of("127.0.0.4"))));
        DerpMap.Region region = map.regions().get(LocalRegion.REGION_ID);
        assertThat(region.regionCode()).isEqualTo("local");
        assertThat(region.nodes()).extracting(DerpMap.Node::name)
                .containsExactly("derp1.example.com", "derp2.example.com", "derp3.example.com:9443");
        DerpMap.Node me = region.nodes().get(0);
        assertThat(me.ipv4()).isEqualTo("127.0.0.2");
        assertThat(me.derpPort()).isEqualTo(8443);
        assertThat(me.plainHttp()).isFalse();
        DerpMap.Node two = region.nodes().get(1);
        assertThat(two.hostName()).as("certificate name").isEqualTo("derp2.example.com");
        assertThat(two.ipv4()).isEqualTo("127.0.0.3");
        assertThat(two.ipv6()).isEqualTo("::1");
        assertThat(two.derpPort()).as("no port in the entry: the server's own").isEqualTo(8443);
        assertThat(two.stunPort()).isEqualTo(3478);
        DerpMap.Node three = region.nodes().get(2);
        assertThat(three.derpPort()).isEqualTo(9443);
        assertThat(three.ipv6()).as("a family that did not resolve is switched off, not looked up again").isEqualTo("none");
    }

    @Test
    void aWildcardListenerIsProbedOverLoopbackAndRecognisedInTheList() {
        LocalRegion.Self self = new LocalRegion.Self("derp.test", null, 3340, false, -1);
        DerpMap map = LocalRegion.build(new LocalRegion.Config(self, List.of("127.0.0.1:3340", "derp-2:3340"), "", 0, false, -1),
                hosts(Map.of("derp-2", List.of("192.0.2.7"))));
        List<DerpMap.Node> nodes = map.regions().get(LocalRegion.REGION_ID).nodes();
        assertThat(nodes).extracting(DerpMap.Node::name).containsExactly("derp.test", "derp-2");
        assertThat(nodes.get(0).ipv4()).isEqualTo("127.0.0.1");
        assertThat(nodes.get(0).stunPort()).isEqualTo(-1);
        assertThat(nodes).allMatch(DerpMap.Node::plainHttp);
    }

    @Test
    void standaloneProberWithDnsDiscoveryAndAnUnresolvableEntry() {
        DerpMap map = LocalRegion.build(new LocalRegion.Config(null, List.of("gone.invalid"), "derp-headless", 443, true, 3478),
                hosts(Map.of("derp-headless", List.of("127.0.0.5", "127.0.0.6"))));
        List<DerpMap.Node> nodes = map.regions().get(LocalRegion.REGION_ID).nodes();
        assertThat(nodes).extracting(DerpMap.Node::name).containsExactly("gone.invalid", "127.0.0.5", "127.0.0.6");
        assertThat(nodes.get(0).ipv4()).as("left to the dialler, which reports the failed lookup").isEmpty();
        assertThat(nodes.get(1).hostName()).isEqualTo("127.0.0.5");
        assertThat(nodes.get(1).effectiveDerpPort()).isEqualTo(443);
    }
}
