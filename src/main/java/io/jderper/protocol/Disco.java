package io.jderper.protocol;

import io.netty.buffer.ByteBuf;

/** Recognises Tailscale disco packets by their magic prefix, without decrypting them. */
public final class Disco {
    /** "TS" followed by the UTF-8 speech balloon U+1F4AC. */
    private static final long MAGIC_48 = 0x5453F09F92ACL;
    public static final int MIN_LENGTH = 6 + 32 + 24;

    private Disco() {
    }

    public static boolean looksLikeDisco(ByteBuf buf, int index, int length) {
        return length >= MIN_LENGTH
                && ((long) buf.getUnsignedShort(index) << 32 | buf.getUnsignedInt(index + 2)) == MAGIC_48;
    }
}
