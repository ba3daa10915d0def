package io.jderper.http;

import java.util.Optional;

/**
 * The {@code /generate_204} captive-portal probe, shared by the main listener and the port-80 listener.
 * Clients send {@code X-Tailscale-Challenge: ts_<host>} and treat a missing or wrong answer as a captive portal,
 * so the echo rule must match the original byte for byte (spec §6.3).
 */
public final class Generate204 {
    public static final String PATH = "/generate_204";
    public static final String CHALLENGE_HEADER = "X-Tailscale-Challenge";
    public static final String RESPONSE_HEADER = "X-Tailscale-Response";
    public static final String CACHE_CONTROL = "no-cache, no-store, must-revalidate, no-transform, max-age=0";

    private static final int MAX_CHALLENGE_LENGTH = 64;

    private Generate204() {
    }

    /**
     * The {@value #RESPONSE_HEADER} value for a challenge header value, or empty when the header must be omitted
     * (absent, empty, longer than 64 bytes, or containing anything outside {@code a-z A-Z 0-9 . - _ :}).
     */
    public static Optional<String> responseHeader(String challenge) {
        if (challenge == null || challenge.isEmpty() || challenge.length() > MAX_CHALLENGE_LENGTH) {
            return Optional.empty();
        }
        for (int i = 0; i < challenge.length(); i++) {
            char c = challenge.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == ':';
            if (!ok) {
                return Optional.empty();
            }
        }
        return Optional.of("response " + challenge);
    }
}
