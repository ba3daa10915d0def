package io.jderper.key;

import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * NaCl {@code crypto_box}: X25519, HSalsa20 key derivation, XSalsa20-Poly1305. Sealed messages are laid out as
 * {@code nonce(24) ‖ tag(16) ‖ ciphertext}, the form DERP puts in ClientInfo and ServerInfo frames.
 */
public final class NaclBox {
    public static final int NONCE_LENGTH = 24;
    public static final int TAG_LENGTH = 16;
    public static final int OVERHEAD = NONCE_LENGTH + TAG_LENGTH;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};

    private final byte[] sharedKey;

    private NaclBox(byte[] sharedKey) {
        this.sharedKey = sharedKey;
    }

    /** The box between our private key and a peer's public key (same key from both ends). */
    public static NaclBox between(NodePrivateKey own, NodePublicKey peer) {
        return new NaclBox(beforeNm(own.sharedSecret(peer)));
    }

    public static NaclBox withSharedKey(byte[] sharedKey) {
        if (sharedKey.length != 32) throw new IllegalArgumentException("box key must be 32 bytes");
        return new NaclBox(sharedKey.clone());
    }

    /** {@code crypto_box_beforenm}: HSalsa20 of the X25519 output with a zero input block. */
    public static byte[] beforeNm(byte[] x25519Shared) {
        return hsalsa20(x25519Shared, new byte[16]);
    }

    public byte[] sharedKey() {
        return sharedKey.clone();
    }

    /** Seals with a fresh random nonce. */
    public byte[] seal(byte[] plaintext) {
        byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return seal(nonce, plaintext);
    }

    public byte[] seal(byte[] nonce, byte[] plaintext) {
        if (nonce.length != NONCE_LENGTH) throw new IllegalArgumentException("nonce must be 24 bytes");
        XSalsa20Engine cipher = new XSalsa20Engine();
        cipher.init(true, new ParametersWithIV(new KeyParameter(sharedKey), nonce));
        byte[] polyKey = new byte[32];
        cipher.processBytes(new byte[32], 0, 32, polyKey, 0);
        byte[] out = new byte[OVERHEAD + plaintext.length];
        System.arraycopy(nonce, 0, out, 0, NONCE_LENGTH);
        cipher.processBytes(plaintext, 0, plaintext.length, out, OVERHEAD);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(out, OVERHEAD, plaintext.length);
        mac.doFinal(out, NONCE_LENGTH);
        return out;
    }

    /** Opens {@code nonce ‖ tag ‖ ciphertext}; empty when too short or not authentic. */
    public Optional<byte[]> open(byte[] sealed, int offset, int length) {
        if (length < OVERHEAD) return Optional.empty();
        byte[] nonce = new byte[NONCE_LENGTH];
        System.arraycopy(sealed, offset, nonce, 0, NONCE_LENGTH);
        XSalsa20Engine cipher = new XSalsa20Engine();
        cipher.init(false, new ParametersWithIV(new KeyParameter(sharedKey), nonce));
        byte[] polyKey = new byte[32];
        cipher.processBytes(new byte[32], 0, 32, polyKey, 0);
        int ctLen = length - OVERHEAD;
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(polyKey));
        mac.update(sealed, offset + OVERHEAD, ctLen);
        byte[] tag = new byte[TAG_LENGTH];
        mac.doFinal(tag, 0);
        byte[] given = new byte[TAG_LENGTH];
        System.arraycopy(sealed, offset + NONCE_LENGTH, given, 0, TAG_LENGTH);
        if (!MessageDigest.isEqual(tag, given)) return Optional.empty();
        byte[] plain = new byte[ctLen];
        cipher.processBytes(sealed, offset + OVERHEAD, ctLen, plain, 0);
        return Optional.of(plain);
    }

    public Optional<byte[]> open(byte[] sealed) {
        return open(sealed, 0, sealed.length);
    }

    static byte[] hsalsa20(byte[] key, byte[] in16) {
        int[] state = new int[16];
        state[0] = SIGMA[0];
        state[5] = SIGMA[1];
        state[10] = SIGMA[2];
        state[15] = SIGMA[3];
        for (int i = 0; i < 4; i++) {
            state[1 + i] = le32(key, i * 4);
            state[11 + i] = le32(key, 16 + i * 4);
            state[6 + i] = le32(in16, i * 4);
        }
        int[] x = new int[16];
        Salsa20Engine.salsaCore(20, state, x);
        // salsaCore adds the input block back in; HSalsa20 wants the raw rounds output.
        int[] pick = {0, 5, 10, 15, 6, 7, 8, 9};
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            int w = x[pick[i]] - state[pick[i]];
            out[i * 4] = (byte) w;
            out[i * 4 + 1] = (byte) (w >>> 8);
            out[i * 4 + 2] = (byte) (w >>> 16);
            out[i * 4 + 3] = (byte) (w >>> 24);
        }
        return out;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
