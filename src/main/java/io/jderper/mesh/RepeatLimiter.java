package io.jderper.mesh;

/**
 * Decides which occurrences of a repeating message are logged: a new message at once, the same message again at most
 * once per interval, with the number of repeats held back in between. Not thread-safe: each link uses its own on its
 * event loop.
 */
final class RepeatLimiter {
    private final long intervalNanos;
    private String last;
    private long lastLoggedAt;
    private int heldBack;

    RepeatLimiter(java.time.Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /**
     * Returns -1 when this occurrence is to be held back; otherwise it is to be logged, and the result is how many
     * occurrences of the same message were held back since the last one logged.
     */
    int admit(String message, long nowNanos) {
        if (message.equals(last) && nowNanos - lastLoggedAt < intervalNanos) {
            heldBack++;
            return -1;
        }
        int held = message.equals(last) ? heldBack : 0;
        last = message;
        lastLoggedAt = nowNanos;
        heldBack = 0;
        return held;
    }

    /** Occurrences held back since the last one logged (reported when the condition ends). */
    int heldBack() {
        return heldBack;
    }

    /** Forgets the last message: the next one is logged whatever it is. */
    void reset() {
        last = null;
        heldBack = 0;
    }
}
