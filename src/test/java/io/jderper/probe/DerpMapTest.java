package io.jderper.probe;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading Tailscale's DERPMap JSON (derper-behaviour.md §17) as Go's encoding/json does. */
class DerpMapTest {

    static DerpMap parse(String json) {
        return DerpMap.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsRegionsAndNodesWithTheirDefaults() {
        DerpMap m = parse("""
                {"HomeParams": {"RegionScore": {"900": 1.5}}, "OmitDefaultRegions": true,
                 "Regions": {
                  "901": {"RegionID": 901, "RegionCode": "fra", "RegionName": "Frankfurt", "Latitude": 50.1,
                          "Nodes": [{"Name": "901a", "RegionID": 901, "HostName": "derp1.example.com", "IPv4": "192.0.2.1",
                                     "IPv6": "2001:db8::1", "STUNPort": -1, "DERPPort": 8443, "CanPort80": true},
                                    {"Name": "901b", "RegionID": 901, "HostName": "derp2.example.com",
                                     "CertName": "sha256-raw:abcd", "InsecureForTests": true, "STUNOnly": true}]},
                  "900": {"RegionID": 900, "RegionCode": "ams", "RegionName": "Amsterdam", "Nodes": []}}}
                """);
        assertThat(m.regions().keySet()).containsExactly(900, 901);
        DerpMap.Region fra = m.regions().get(901);
        assertThat(fra.regionCode()).isEqualTo("fra");
        assertThat(fra.regionName()).isEqualTo("Frankfurt");
        DerpMap.Node a = fra.nodes().get(0);
        assertThat(a.name()).isEqualTo("901a");
        assertThat(a.ipv4()).isEqualTo("192.0.2.1");
        assertThat(a.ipv6()).isEqualTo("2001:db8::1");
        assertThat(a.stunPort()).isEqualTo(-1);
        assertThat(a.effectiveDerpPort()).isEqualTo(8443);
        DerpMap.Node b = fra.nodes().get(1);
        assertThat(b.effectiveDerpPort()).isEqualTo(443);
        assertThat(b.effectiveStunPort()).isEqualTo(3478);
        assertThat(b.certName()).isEqualTo("sha256-raw:abcd");
        assertThat(b.insecureForTests()).isTrue();
        assertThat(b.stunOnly()).isTrue();
        assertThat(b.plainHttp()).isFalse();
        assertThat(b.withPlainHttp(true).effectiveDerpPort()).isEqualTo(80);
    }

    @Test
    void keysMatchCaseInsensitivelyAndUnknownOnesAreIgnored() {
        DerpMap m = parse("""
                {"regions": {"7": {"regionid": 7, "regioncode": "x", "nodes": [{"name": "n", "hostname": "h",
                 "ipv4": "198.51.100.1", "stunport": 3479, "Future": {"a": 1}}]}}, "Extra": [1, 2]}
                """);
        DerpMap.Node n = m.regions().get(7).nodes().get(0);
        assertThat(n.hostName()).isEqualTo("h");
        assertThat(n.ipv4()).isEqualTo("198.51.100.1");
        assertThat(n.stunPort()).isEqualTo(3479);
    }

    @Test
    void emptyAndNullParts() {
        assertThat(parse("{}").regions()).isEmpty();
        assertThat(parse("{\"Regions\": null}").regions()).isEmpty();
        assertThat(parse("{\"Regions\": {\"1\": null}}").regions()).isEmpty();
        assertThat(parse("{\"Regions\": {\"1\": {\"RegionCode\": \"a\"}}}").regions().get(1).regionId())
                .as("a region without RegionID takes its key").isEqualTo(1);
    }

    @Test
    void wrongShapesAreErrors() {
        assertThatThrownBy(() -> parse("[]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> parse("{\"Regions\": []}")).hasMessageContaining("keyed by region ID");
        assertThatThrownBy(() -> parse("{\"Regions\": {\"x\": {}}}")).hasMessageContaining("not a region ID");
        assertThatThrownBy(() -> parse("{\"Regions\": {\"1\": {\"Nodes\": {}}}}")).hasMessageContaining("Nodes must be an array");
        assertThatThrownBy(() -> parse("{\"Regions\": {\"1\": {\"Nodes\": [{\"DERPPort\": \"443\"}]}}}"))
                .hasMessageContaining("DERPPort must be an integer");
        assertThatThrownBy(() -> parse("{")).isInstanceOf(IllegalArgumentException.class);
    }
}
