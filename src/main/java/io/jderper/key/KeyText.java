package io.jderper.key;

import java.util.HexFormat;

final class KeyText {
    private KeyText() {
    }

    static byte[] hex32(String hex, String what) {
        if (hex == null || hex.length() != 64) {
            throw new IllegalArgumentException(what + " must be exactly 64 hex digits, got "
                    + (hex == null ? "nothing" : hex.length() + " characters"));
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " must be exactly 64 hex digits: " + e.getMessage());
        }
    }
}
