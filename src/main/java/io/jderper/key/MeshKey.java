package io.jderper.key;

import java.security.MessageDigest;
import java.util.HexFormat;

/** The region's pre-shared mesh key: 32 bytes, written as 64 hex digits. */
public final class MeshKey {
    private final byte[] raw;

    private MeshKey(byte[] raw) {
        this.raw = raw;
    }

    /** Parses the text form after trimming surrounding whitespace (file content or property value). */
    public static MeshKey parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("mesh key must be exactly 64 hex digits, got nothing");
        }
        return new MeshKey(KeyText.hex32(text.strip(), "mesh key"));
    }

    /** True when the 64-hex text names this key; constant time in the key bytes. */
    public boolean matchesHex(String candidateHex) {
        byte[] other;
        try {
            other = HexFormat.of().parseHex(candidateHex);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(raw, other);
    }

    public String toHex() {
        return HexFormat.of().formatHex(raw);
    }

    @Override
    public String toString() {
        return "MeshKey<redacted>";
    }
}
