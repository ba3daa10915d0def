package io.jderper.probe;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of Tailscale's DERPMap JSON the prober needs (derper-behaviour.md §17). Keys match case-insensitively and
 * unknown keys are ignored, as Go's encoding/json does, so a map written for Tailscale clients reads unchanged.
 *
 * @param regions by region ID, in ascending order (the prober's creation order; Go's is random)
 */
public record DerpMap(Map<Integer, Region> regions) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public DerpMap {
        regions = Collections.unmodifiableMap(new TreeMap<>(regions));
    }

    /**
     * @param nodes in map order: the first node is the region's preferred one for clients
     */
    public record Region(int regionId, String regionCode, String regionName, List<Node> nodes) {
        public Region {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * One DERP server.
     *
     * @param stunPort  0 = 3478, -1 = no STUN
     * @param derpPort  0 = 443 (or 80 in plain-HTTP mode)
     * @param plainHttp not in Tailscale's format: set for the regions jderper builds itself from plain-HTTP nodes
     */
    public record Node(String name, int regionId, String hostName, String certName, String ipv4, String ipv6,
                       int stunPort, boolean stunOnly, int derpPort, boolean insecureForTests, boolean plainHttp) {

        public int effectiveDerpPort() {
            return derpPort != 0 ? derpPort : plainHttp ? 80 : 443;
        }

        public int effectiveStunPort() {
            return stunPort == 0 ? 3478 : stunPort;
        }

        public Node withPlainHttp(boolean plain) {
            return new Node(name, regionId, hostName, certName, ipv4, ipv6, stunPort, stunOnly, derpPort,
                    insecureForTests, plain);
        }
    }

    /** Parses a DERPMap document. */
    public static DerpMap parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a DERP map is a JSON object");
        }
        Map<Integer, Region> regions = new TreeMap<>();
        JsonNode regionsNode = field(root, "Regions");
        if (regionsNode != null && !regionsNode.isNull()) {
            if (!regionsNode.isObject()) {
                throw new IllegalArgumentException("DERPMap.Regions must be an object keyed by region ID");
            }
            for (Map.Entry<String, JsonNode> e : regionsNode.properties()) {
                if (e.getValue().isNull()) {
                    continue;
                }
                int key;
                try {
                    key = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("DERPMap.Regions key \"" + e.getKey() + "\" is not a region ID");
                }
                regions.put(key, region(e.getValue(), key));
            }
        }
        return new DerpMap(regions);
    }

    private static Region region(JsonNode r, int key) {
        if (!r.isObject()) {
            throw new IllegalArgumentException("region " + key + " is not an object");
        }
        int id = integer(r, "RegionID", key);
        List<Node> nodes = new ArrayList<>();
        JsonNode list = field(r, "Nodes");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw new IllegalArgumentException("region " + key + ": Nodes must be an array");
            }
            for (JsonNode n : list) {
                if (!n.isObject()) {
                    throw new IllegalArgumentException("region " + key + ": a node is not an object");
                }
                nodes.add(new Node(string(n, "Name"), integer(n, "RegionID", id), string(n, "HostName"),
                        string(n, "CertName"), string(n, "IPv4"), string(n, "IPv6"), integer(n, "STUNPort", 0),
                        bool(n, "STUNOnly"), integer(n, "DERPPort", 0), bool(n, "InsecureForTests"), false));
            }
        }
        return new Region(id, string(r, "RegionCode"), string(r, "RegionName"), nodes);
    }

    private static JsonNode field(JsonNode o, String name) {
        JsonNode exact = o.get(name);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String string(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isString()) {
            throw new IllegalArgumentException(name + " must be a string");
        }
        return v.asString();
    }

    private static int integer(JsonNode o, String name, int absent) {
        JsonNode v = field(o, name);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
        return v.intValue();
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = field(o, name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(name + " must be a boolean");
        }
        return v.booleanValue();
    }
}
