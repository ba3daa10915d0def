package io.jderper.protocol;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;

/**
 * The JSON a client seals into ClientInfo. Parsing reproduces the original's (Go encoding/json) leniency and
 * strictness: keys match case-insensitively, unknown keys and {@code null} values are ignored, a bare {@code null}
 * document is an empty object, wrong value types and trailing data are errors, and {@code meshKey} — when present at
 * all — must be a 64-hex-digit string.
 *
 * @param meshKeyHex the mesh key as sent (64 hex digits), or null when absent
 */
public record ClientInfoPayload(String meshKeyHex, int version, boolean canAckPings, boolean isProber, String appName) {

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public static ClientInfoPayload parse(byte[] plaintext) {
        JsonNode root;
        try {
            root = JSON.readTree(plaintext);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("ClientInfo JSON is malformed: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new ClientInfoPayload(null, 0, false, false, "");
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("ClientInfo JSON must be an object");
        }
        String meshKey = null;
        int version = 0;
        boolean canAckPings = false;
        boolean prober = false;
        String appName = "";
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equalsIgnoreCase("meshKey")) {
                meshKey = meshKey(v);
                continue;
            }
            if (v.isNull()) {
                continue;
            }
            if (name.equalsIgnoreCase("version")) {
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw new IllegalArgumentException("ClientInfo version must be an integer");
                }
                version = v.intValue();
            } else if (name.equalsIgnoreCase("CanAckPings")) {
                canAckPings = bool(v, "CanAckPings");
            } else if (name.equalsIgnoreCase("IsProber")) {
                prober = bool(v, "IsProber");
            } else if (name.equalsIgnoreCase("AppName")) {
                if (!v.isString()) {
                    throw new IllegalArgumentException("ClientInfo AppName must be a string");
                }
                appName = v.asString();
            }
        }
        return new ClientInfoPayload(meshKey, version, canAckPings, prober, appName);
    }

    private static String meshKey(JsonNode v) {
        if (!v.isString()) {
            throw new IllegalArgumentException("ClientInfo meshKey must be a string of 64 hex digits");
        }
        String s = v.asString();
        if (s.length() != 64) {
            throw new IllegalArgumentException("ClientInfo meshKey must be 64 hex digits, got " + s.length());
        }
        try {
            HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ClientInfo meshKey is not hex");
        }
        return s;
    }

    private static boolean bool(JsonNode v, String name) {
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("ClientInfo " + name + " must be a boolean");
        }
        return v.booleanValue();
    }

    /** Serialises in the Go client's field order and omission rules. */
    public byte[] toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (meshKeyHex != null && !meshKeyHex.isEmpty()) {
            o.put("meshKey", meshKeyHex);
        }
        if (version != 0) {
            o.put("version", version);
        }
        o.put("CanAckPings", canAckPings);
        if (isProber) {
            o.put("IsProber", true);
        }
        if (appName != null && !appName.isEmpty()) {
            o.put("AppName", appName);
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }
}
