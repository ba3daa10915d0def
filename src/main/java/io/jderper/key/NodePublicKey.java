package io.jderper.key;

import io.netty.buffer.ByteBuf;

import java.util.Base64;
import java.util.HexFormat;

/** A node's (or the server's) Curve25519 public key: its address on the relay. Immutable. */
public final class NodePublicKey extends Key32 {
    public static final String TEXT_PREFIX = "nodekey:";
    public static final NodePublicKey ZERO = new NodePublicKey(0, 0, 0, 0);

    private NodePublicKey(long w0, long w1, long w2, long w3) {
        super(w0, w1, w2, w3);
    }

    public static NodePublicKey fromBytes(byte[] raw) {
        if (raw.length != LENGTH) {
            throw new IllegalArgumentException("node public key must be 32 bytes, got " + raw.length);
        }
        return new NodePublicKey(getLong(raw, 0), getLong(raw, 8), getLong(raw, 16), getLong(raw, 24));
    }

    /** Reads 32 bytes at an absolute index, leaving the buffer's indices alone. */
    public static NodePublicKey read(ByteBuf buf, int index) {
        return new NodePublicKey(buf.getLong(index), buf.getLong(index + 8), buf.getLong(index + 16), buf.getLong(index + 24));
    }

    /** Reads 32 bytes at the reader index and advances it. */
    public static NodePublicKey readFrom(ByteBuf buf) {
        NodePublicKey k = read(buf, buf.readerIndex());
        buf.skipBytes(LENGTH);
        return k;
    }

    public static NodePublicKey copyOf(Key32 other) {
        return other instanceof NodePublicKey k ? k : new NodePublicKey(other.w0, other.w1, other.w2, other.w3);
    }

    /** Parses {@code nodekey:<64 hex>}; hex digits in either case. */
    public static NodePublicKey parse(String text) {
        if (text == null || !text.startsWith(TEXT_PREFIX)) {
            throw new IllegalArgumentException("node key must start with '" + TEXT_PREFIX + "'");
        }
        return fromHex(text.substring(TEXT_PREFIX.length()));
    }

    /** Parses the untyped form: exactly 64 hex digits. */
    public static NodePublicKey fromHex(String hex) {
        return fromBytes(KeyText.hex32(hex, "node key"));
    }

    /** The {@code [XXXXX]} form used in logs: first five characters of standard base64. */
    public String shortString() {
        return "[" + Base64.getEncoder().encodeToString(toBytes()).substring(0, 5) + "]";
    }

    @Override
    public String toString() {
        return TEXT_PREFIX + HexFormat.of().formatHex(toBytes());
    }
}
