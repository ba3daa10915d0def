package io.jderper.key;

import org.bouncycastle.math.ec.rfc7748.X25519;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/** A Curve25519 private key; the stored form is clamped. */
public final class NodePrivateKey {
    public static final String TEXT_PREFIX = "privkey:";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] raw;
    private final NodePublicKey publicKey;
    /** The last peer's box: a client reconnects to the same server, so one slot saves every X25519 after the first. */
    private volatile PeerBox lastBox;

    private record PeerBox(NodePublicKey peer, NaclBox box) {
    }

    private NodePrivateKey(byte[] raw) {
        this.raw = raw;
        byte[] pub = new byte[32];
        X25519.scalarMultBase(raw, 0, pub, 0);
        this.publicKey = NodePublicKey.fromBytes(pub);
    }

    public static NodePrivateKey generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        clamp(b);
        return new NodePrivateKey(b);
    }

    public static NodePrivateKey fromBytes(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("private key must be 32 bytes, got " + raw.length);
        }
        byte[] copy = raw.clone();
        if (isAllZero(copy)) {
            throw new IllegalArgumentException("private key must not be all zero");
        }
        return new NodePrivateKey(copy);
    }

    /** Parses {@code privkey:<64 hex>}, either case. */
    public static NodePrivateKey parse(String text) {
        if (text == null || !text.startsWith(TEXT_PREFIX)) {
            throw new IllegalArgumentException("private key must start with '" + TEXT_PREFIX + "'");
        }
        return fromBytes(KeyText.hex32(text.substring(TEXT_PREFIX.length()), "private key"));
    }

    public NodePublicKey publicKey() {
        return publicKey;
    }

    /** X25519(this, peer): the raw shared secret, input to {@link NaclBox#beforeNm}. */
    public byte[] sharedSecret(NodePublicKey peer) {
        byte[] out = new byte[32];
        X25519.scalarMult(raw, 0, peer.toBytes(), 0, out, 0);
        return out;
    }

    /**
     * The box with {@code peer}, remembered for the most recent peer. For a client, whose peer is its one server,
     * this makes reconnecting cost no X25519; a server, whose peers are many, keeps its own table instead.
     */
    public NaclBox boxWith(NodePublicKey peer) {
        PeerBox kept = lastBox;
        if (kept != null && kept.peer().equals(peer)) {
            return kept.box();
        }
        NaclBox box = NaclBox.between(this, peer);
        lastBox = new PeerBox(peer, box);
        return box;
    }

    public String toText() {
        return TEXT_PREFIX + HexFormat.of().formatHex(raw);
    }

    static void clamp(byte[] b) {
        b[0] &= (byte) 0xF8;
        b[31] = (byte) ((b[31] & 0x7F) | 0x40);
    }

    private static boolean isAllZero(byte[] b) {
        int acc = 0;
        for (byte x : b) acc |= x;
        return acc == 0;
    }

    @Override
    public String toString() {
        return "privkey:<redacted " + publicKey.shortString() + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodePrivateKey k && Arrays.equals(raw, k.raw);
    }

    @Override
    public int hashCode() {
        return publicKey.hashCode();
    }
}
