package io.jderper.key;

import io.netty.buffer.ByteBuf;

import java.util.HexFormat;

/**
 * 32 bytes held as four big-endian longs, so that equality and hashing never touch an array.
 * Sealed so that {@link NodePublicKey} and the reusable {@link NodeKeyProbe} compare equal to each other:
 * the relay looks destinations up with a probe filled from the frame, without allocating a key per packet.
 */
public abstract sealed class Key32 implements Comparable<Key32> permits NodePublicKey, NodeKeyProbe {
    public static final int LENGTH = 32;

    long w0, w1, w2, w3;

    Key32() {
    }

    Key32(long w0, long w1, long w2, long w3) {
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
    }

    final void load(ByteBuf buf, int index) {
        w0 = buf.getLong(index);
        w1 = buf.getLong(index + 8);
        w2 = buf.getLong(index + 16);
        w3 = buf.getLong(index + 24);
    }

    public final boolean isZero() {
        return (w0 | w1 | w2 | w3) == 0;
    }

    /** Writes the 32 raw bytes at the buffer's writer index. */
    public final void writeTo(ByteBuf buf) {
        buf.writeLong(w0).writeLong(w1).writeLong(w2).writeLong(w3);
    }

    /** Writes the 32 raw bytes at an absolute index without moving indices. */
    public final void setAt(ByteBuf buf, int index) {
        buf.setLong(index, w0);
        buf.setLong(index + 8, w1);
        buf.setLong(index + 16, w2);
        buf.setLong(index + 24, w3);
    }

    public final byte[] toBytes() {
        byte[] out = new byte[LENGTH];
        putLong(out, 0, w0);
        putLong(out, 8, w1);
        putLong(out, 16, w2);
        putLong(out, 24, w3);
        return out;
    }

    /** Lower-case hex without prefix: the "untyped" form used in HTTP headers and the meta-certificate. */
    public final String toHex() {
        return HexFormat.of().formatHex(toBytes());
    }

    public final boolean sameBits(Key32 o) {
        return w0 == o.w0 && w1 == o.w1 && w2 == o.w2 && w3 == o.w3;
    }

    @Override
    public final boolean equals(Object o) {
        return o instanceof Key32 k && sameBits(k);
    }

    @Override
    public final int hashCode() {
        // Curve25519 public keys are uniformly random, so folding the first word spreads well enough;
        // Comparable keeps hash-collision bins logarithmic in ConcurrentHashMap.
        return (int) (w0 ^ (w0 >>> 32));
    }

    @Override
    public final int compareTo(Key32 o) {
        int c = Long.compareUnsigned(w0, o.w0);
        if (c == 0) c = Long.compareUnsigned(w1, o.w1);
        if (c == 0) c = Long.compareUnsigned(w2, o.w2);
        if (c == 0) c = Long.compareUnsigned(w3, o.w3);
        return c;
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }
}
