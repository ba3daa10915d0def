package io.jderper.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Value syntax of Go's {@code flag} package, shared by every command line that mimics a Go tool (the server's derper
 * flags, the prober's derpprobe flags): booleans as {@code strconv.ParseBool} reads them and durations as
 * {@code time.ParseDuration} does.
 */
public final class GoFlagSyntax {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|ms|s|m|h)");

    private GoFlagSyntax() {
    }

    public static boolean isBool(String v) {
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False" -> true;
            default -> false;
        };
    }

    public static boolean parseBool(String v) {
        return switch (v) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            default -> false;
        };
    }

    /** {@code "15s"}, {@code "1h30m"}, {@code "-10s"}, {@code "0"}; the error names the flag. */
    public static Duration parseDuration(String text, String flagName) {
        String s = text.trim().replace("µ", "u").replace("μ", "u");
        boolean negative = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            negative = s.startsWith("-");
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        if (s.isEmpty()) {
            throw badDuration(text, flagName);
        }
        Matcher m = DURATION_PART.matcher(s);
        double nanos = 0;
        int pos = 0;
        while (pos < s.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw badDuration(text, flagName);
            }
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            pos = m.end();
        }
        Duration d = Duration.ofNanos(Math.round(nanos));
        return negative ? d.negated() : d;
    }

    private static IllegalArgumentException badDuration(String text, String flagName) {
        return new IllegalArgumentException("invalid value \"" + text + "\" for flag -" + flagName
                + ": time: invalid duration \"" + text + "\" (a Go duration such as 15s, 10m, 1h30m)");
    }
}
