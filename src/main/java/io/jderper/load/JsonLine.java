package io.jderper.load;

import java.util.Locale;

/** A flat JSON object built field by field, so the tool's result can be read by jq without a schema. */
final class JsonLine {
    private final StringBuilder sb = new StringBuilder("{");

    JsonLine put(String name, String value) {
        key(name);
        sb.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
        return this;
    }

    JsonLine put(String name, long value) {
        key(name);
        sb.append(value);
        return this;
    }

    JsonLine put(String name, double value) {
        key(name);
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            sb.append("null");
        } else {
            sb.append(String.format(Locale.ROOT, "%.4f", value).replaceAll("0+$", "").replaceAll("\\.$", ".0"));
        }
        return this;
    }

    JsonLine put(String name, boolean value) {
        key(name);
        sb.append(value);
        return this;
    }

    private void key(String name) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        sb.append('"').append(name).append("\":");
    }

    @Override
    public String toString() {
        return sb + "}";
    }
}
