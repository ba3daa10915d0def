package io.jderper.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's {@code flag} package, shared by every command line that mimics a Go tool (the server's derper flags, the
 * prober's derpprobe flags): the argument syntax ({@link Parser}: {@code -name value}, {@code -name=value}, one or two
 * dashes, {@code --} ends the flags), booleans as {@code strconv.ParseBool} reads them and durations as
 * {@code time.ParseDuration} does. What each flag means, and the wording of errors that differ between the two
 * tools, stays with the tool.
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

    /**
     * A boolean flag's value: {@code true} when given bare ({@code -name}, {@code value} null), otherwise the
     * {@code strconv.ParseBool} reading of it; null when it is not a boolean.
     */
    public static Boolean boolFlag(String value) {
        if (value == null) {
            return Boolean.TRUE;
        }
        return isBool(value) ? parseBool(value) : null;
    }

    /** One flag argument: as written, the name without its dashes, and the value after {@code =} (null when none). */
    public record Flag(String arg, String name, String inlineValue) {
        /** {@code -h} and {@code -help}, which Go's flag package answers with its usage text. */
        public boolean isHelp() {
            return name.equals("h") || name.equals("help");
        }
    }

    /** What happens at the first argument that is not a flag: Go stops there; derper's translation skips it. */
    public enum Positional { STOP, SKIP }

    /** Walks a command line flag by flag, the way Go's {@code flag.Parse} does. */
    public static final class Parser {
        private final String[] args;
        private final Positional positional;
        private int next;

        public Parser(String[] args, Positional positional) {
            this.args = args;
            this.positional = positional;
        }

        /** The next flag, or null at the end, at {@code --}, or at a positional argument when those stop the scan. */
        public Flag next() {
            while (next < args.length) {
                String arg = args[next++];
                if (arg.equals("--")) {
                    next = args.length;
                    return null;
                }
                if (!arg.startsWith("-") || arg.equals("-")) {
                    if (positional == Positional.STOP) {
                        next = args.length;
                        return null;
                    }
                    continue;
                }
                String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
                int eq = body.indexOf('=');
                return eq < 0 ? new Flag(arg, body, null) : new Flag(arg, body.substring(0, eq), body.substring(eq + 1));
            }
            return null;
        }

        /** The value of a flag that takes one: after {@code =}, or else the next argument. */
        public String value(Flag flag) {
            if (flag.inlineValue() != null) {
                return flag.inlineValue();
            }
            if (next >= args.length) {
                throw new IllegalArgumentException("flag needs an argument: -" + flag.name());
            }
            return args[next++];
        }
    }

    private static IllegalArgumentException badDuration(String text, String flagName) {
        return new IllegalArgumentException("invalid value \"" + text + "\" for flag -" + flagName
                + ": time: invalid duration \"" + text + "\" (a Go duration such as 15s, 10m, 1h30m)");
    }
}
