package io.jderper.secrets;

import java.util.Arrays;

/** One version of a secret as setec serves it ({@code api.SecretValue}); never printed. */
final class SecretValue {
    private final byte[] value;
    private final long version;

    SecretValue(byte[] value, long version) {
        this.value = value.clone();
        this.version = version;
    }

    byte[] value() {
        return value.clone();
    }

    /** The value as text, as the original reads the mesh key ({@code Secret.GetString}). */
    String text() {
        return new String(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    long version() {
        return version;
    }

    boolean sameValue(SecretValue other) {
        return java.security.MessageDigest.isEqual(value, other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecretValue s && s.version == version && Arrays.equals(s.value, value);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(version);
    }

    @Override
    public String toString() {
        return "SecretValue{version=" + version + ", value=<redacted>}";
    }
}
