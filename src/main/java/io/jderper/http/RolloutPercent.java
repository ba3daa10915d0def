package io.jderper.http;

import java.net.InetAddress;
import java.util.function.DoubleSupplier;

/**
 * Whether a client falls inside an unpublished name's rollout percentage.
 *
 * <p>The decision reproduces the original bit for bit: a PCG-DXSM generator (Go's math/rand/v2 PCG) seeded
 * with the client's 16-byte address, first Float64 compared with the percentage. A client therefore gets
 * the same answer from every server of a region, Go or Java.
 */
final class RolloutPercent {

    private static final long MUL_HI = 2549297995355413924L;
    private static final long MUL_LO = 4865540595714422341L;
    private static final long INC_HI = 6364136223846793005L;
    private static final long INC_LO = 1442695040888963407L;
    private static final long CHEAP_MUL = 0xda942042e4dd58b5L;

    private RolloutPercent() {
    }

    /**
     * @param percent  0.0 to 1.0
     * @param loopback coin for loopback clients (the original flips one so rollouts can be tried locally)
     */
    static boolean matches(InetAddress client, double percent, DoubleSupplier loopback) {
        if (percent == 0) {
            return false;
        }
        if (percent == 1) {
            return true;
        }
        if (client == null) {
            return false;
        }
        if (client.isLoopbackAddress()) {
            return loopback.getAsDouble() < 0.5;
        }
        byte[] a16 = as16(client.getAddress());
        return percent > firstFloat64(littleEndian(a16, 0), littleEndian(a16, 8));
    }

    static byte[] as16(byte[] raw) {
        if (raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }

    private static long littleEndian(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }

    /** {@code rand.New(rand.NewPCG(seed1, seed2)).Float64()}. */
    static double firstFloat64(long seed1, long seed2) {
        long hi = seed1;
        long lo = seed2;
        // state = state * mul + inc, 128-bit
        long newHi = unsignedMultiplyHigh(lo, MUL_LO) + hi * MUL_LO + lo * MUL_HI;
        long newLo = lo * MUL_LO;
        long sum = newLo + INC_LO;
        long carry = Long.compareUnsigned(sum, newLo) < 0 ? 1 : 0;
        hi = newHi + INC_HI + carry;
        lo = sum;
        // DXSM output
        hi ^= hi >>> 32;
        hi *= CHEAP_MUL;
        hi ^= hi >>> 48;
        hi *= (lo | 1);
        return (double) (hi << 11 >>> 11) / (double) (1L << 53);
    }

    // Math.unsignedMultiplyHigh needs Java 18.
    private static long unsignedMultiplyHigh(long x, long y) {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y) + ((y >> 63) & x);
    }
}
