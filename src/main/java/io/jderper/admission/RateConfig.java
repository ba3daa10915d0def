package io.jderper.admission;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.math.BigInteger;
import java.util.Map;

/**
 * The {@code -rate-config} file: {@code {"PerClientRateLimitBytesPerSec": n, "PerClientRateBurstBytes": m}}, read with
 * the leniency and strictness of Go's json.Unmarshal into unsigned integers: keys match case-insensitively, unknown
 * keys and {@code null} values are ignored, a bare {@code null} is an empty config, and negative, fractional or
 * non-numeric values and trailing data are errors.
 *
 * @param bytesPerSecond refill rate; 0 disables limiting
 * @param burstBytes     bucket size as written (see {@link #applied()})
 */
record RateConfig(long bytesPerSecond, long burstBytes) {

    /** The largest frame a client may send (a SendPacket of 64 KiB plus the key): every frame fits the bucket. */
    static final long MIN_BURST = 65_536 + 32;

    static final RateConfig DISABLED = new RateConfig(0, 0);

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    static RateConfig parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new IllegalArgumentException("empty file");
        }
        if (root.isNull()) {
            return DISABLED;
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        long rate = 0;
        long burst = 0;
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            if (name.equalsIgnoreCase("PerClientRateLimitBytesPerSec")) {
                rate = unsigned(e.getValue(), "PerClientRateLimitBytesPerSec", rate);
            } else if (name.equalsIgnoreCase("PerClientRateBurstBytes")) {
                burst = unsigned(e.getValue(), "PerClientRateBurstBytes", burst);
            }
        }
        return new RateConfig(rate, burst);
    }

    private static long unsigned(JsonNode v, String name, long previous) {
        if (v.isNull()) {
            return previous;
        }
        if (!v.isIntegralNumber()) {
            throw new IllegalArgumentException(name + " must be a non-negative integer, got " + v);
        }
        BigInteger n = v.bigIntegerValue();
        if (n.signum() < 0 || n.bitLength() > 64) {
            throw new IllegalArgumentException(name + " must be a non-negative integer below 2^64, got " + n);
        }
        // Values beyond what a long holds mean "unlimited" for all practical purposes.
        return n.min(LONG_MAX).longValue();
    }

    /** What is enforced: nothing when the rate is 0, otherwise a burst of at least one maximal frame. */
    RateConfig applied() {
        if (bytesPerSecond == 0) {
            return DISABLED;
        }
        return new RateConfig(bytesPerSecond, Math.max(burstBytes, MIN_BURST));
    }

    boolean enabled() {
        return bytesPerSecond > 0;
    }
}
