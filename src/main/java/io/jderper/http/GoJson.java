package io.jderper.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Byte-exact output of Go's {@code json.MarshalIndent(map[string][]T, "", "\t")} for string-like values,
 * which is what clients of /bootstrap-dns have always received: sorted keys, tab indentation, Go's string
 * escaping (HTML-safe), no trailing newline.
 */
final class GoJson {

    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJson() {
    }

    /** A null map encodes as {@code null}, like a nil Go map. */
    static byte[] marshalIndent(Map<String, List<String>> map) {
        if (map == null) {
            return NULL.clone();
        }
        if (map.isEmpty()) {
            return "{}".getBytes(StandardCharsets.US_ASCII);
        }
        StringBuilder out = new StringBuilder(64 * map.size());
        out.append("{\n");
        boolean firstKey = true;
        for (Map.Entry<String, List<String>> e : new TreeMap<>(map).entrySet()) {
            if (!firstKey) {
                out.append(",\n");
            }
            firstKey = false;
            out.append('\t');
            string(out, e.getKey());
            out.append(": ");
            List<String> values = e.getValue();
            if (values == null) {
                out.append("null");
            } else if (values.isEmpty()) {
                out.append("[]");
            } else {
                out.append("[\n");
                for (int i = 0; i < values.size(); i++) {
                    out.append("\t\t");
                    string(out, values.get(i));
                    out.append(i + 1 < values.size() ? ",\n" : "\n");
                }
                out.append("\t]");
            }
        }
        out.append("\n}");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> unicode(out, c);
                default -> {
                    if (c < 0x20) {
                        unicode(out, c);
                    } else if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            out.append("\\ufffd"); // Go replaces invalid UTF-8 the same way
                        }
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicode(StringBuilder out, char c) {
        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
    }
}
