package io.jderper.secrets;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * The JSON of setec's API as its Go client speaks it: requests with Go's field names and order, responses read the way
 * Go's {@code encoding/json} reads them (field names case-insensitive, unknown fields ignored, {@code []byte} values in
 * padded standard base64, versions as unsigned 32-bit numbers).
 */
final class SetecJson {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final long MAX_VERSION = 0xFFFF_FFFFL;

    private SetecJson() {
    }

    /** {@code api.GetRequest}: version 0 asks for the active version; {@code updateIfChanged} makes 304 possible. */
    static byte[] getRequest(String name, long version, boolean updateIfChanged) {
        ObjectNode o = JSON.createObjectNode();
        o.put("Name", name);
        o.put("Version", version);
        o.put("UpdateIfChanged", updateIfChanged);
        return JSON.writeValueAsBytes(o);
    }

    /** {@code api.SecretValue} from a 200 answer to {@code /api/get}. */
    static SecretValue secretValue(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw bad("the answer is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad("the answer is not a JSON object");
        }
        return secretValue(root, "the answer");
    }

    /** Reads an {@code api.SecretValue} object (also the {@code "secret"} member of a cache entry). */
    static SecretValue secretValue(JsonNode node, String where) {
        JsonNode value = member(node, "Value");
        JsonNode version = member(node, "Version");
        byte[] bytes;
        if (value == null || value.isNull()) {
            bytes = new byte[0];
        } else if (value.isString()) {
            try {
                bytes = Base64.getDecoder().decode(value.asString());
            } catch (IllegalArgumentException e) {
                throw bad(where + " has a Value that is not base64");
            }
        } else {
            throw bad(where + " has a Value that is not a base64 string");
        }
        long v = 0;
        if (version != null && !version.isNull()) {
            if (!version.isIntegralNumber() || version.asLong() < 0 || version.asLong() > MAX_VERSION
                    || !version.canConvertToLong()) {
                throw bad(where + " has a Version that is not an unsigned 32-bit number: " + version);
            }
            v = version.asLong();
        }
        return new SecretValue(bytes, v);
    }

    /** A member by name, matched case-insensitively as Go does (an exact match wins). */
    static JsonNode member(JsonNode object, String name) {
        JsonNode exact = object.get(name);
        if (exact != null) {
            return exact;
        }
        for (Map.Entry<String, JsonNode> e : object.properties()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** {@code api.SecretValue} as Go marshals it: {@code {"Value":"<base64>","Version":n}}. */
    static ObjectNode secretValueNode(SecretValue value) {
        ObjectNode o = JSON.createObjectNode();
        o.put("Value", Base64.getEncoder().encodeToString(value.value()));
        o.put("Version", value.version());
        return o;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static SetecException bad(String message) {
        return new SetecException(SetecException.Kind.BAD_RESPONSE, message);
    }
}
