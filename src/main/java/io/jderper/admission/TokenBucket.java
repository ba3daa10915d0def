package io.jderper.admission;

import java.util.function.LongSupplier;

/**
 * A token bucket for counting events (one token each), starting full, as Go's rate.Limiter does: {@code rate} tokens
 * per second up to {@code burst}. An infinite rate always allows.
 */
final class TokenBucket {
    private final double rate;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;

    TokenBucket(double rate, long burst, LongSupplier nanoClock) {
        this.rate = rate;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    synchronized boolean tryTake() {
        if (rate == Double.POSITIVE_INFINITY) {
            return true;
        }
        long now = nanoClock.getAsLong();
        long elapsed = now - last;
        last = now;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + rate * elapsed / 1e9);
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
