package io.jderper.http;

import java.util.Optional;
import java.util.regex.Pattern;

/** The captive-portal check's challenge rule (derper-behaviour.md §6.3), shared by the main and port-80 listeners. */
public final class Generate204 {
    public static final String CHALLENGE_HEADER = "X-Tailscale-Challenge";
    public static final String RESPONSE_HEADER = "X-Tailscale-Response";
    public static final String CACHE_CONTROL = "no-cache, no-store, must-revalidate, no-transform, max-age=0";
    private static final Pattern ALLOWED = Pattern.compile("[a-zA-Z0-9._:-]{1,64}");

    private Generate204() {
    }

    /** The {@code X-Tailscale-Response} value for a challenge, or empty when the challenge is absent or not acceptable. */
    public static Optional<String> response(String challenge) {
        if (challenge == null || !ALLOWED.matcher(challenge).matches()) {
            return Optional.empty();
        }
        return Optional.of("response " + challenge);
    }
}
