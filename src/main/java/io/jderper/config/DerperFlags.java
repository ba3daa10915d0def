package io.jderper.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates the original derper's command line ({@code -a :443 -c derper.json …}) into Spring property
 * arguments ({@code --derper.listen=:443 …}), so an existing derper unit file works unchanged. Spring's own
 * {@code --x.y=z} arguments pass through untouched.
 */
public final class DerperFlags {

    enum Kind { BOOL, STRING, INT, FLOAT, DURATION, LIST }

    /**
     * One original flag. {@code property} is null for flags that act before Spring starts ({@code -version}).
     * {@code landed} is false for flags whose feature this build does not implement yet: they are accepted with a
     * warning so that a unit file keeps starting. {@code usage} is the help text of a flag without a property; a flag
     * with one is described by its property's documentation (see {@link PropertyCatalog}), so the two cannot differ.
     */
    record Flag(String name, Kind kind, String property, boolean landed, String usage) {
        Flag(String name, Kind kind, String property, boolean landed) {
            this(name, kind, property, landed, null);
        }
    }

    private static final List<Flag> FLAGS = List.of(
            new Flag("dev", Kind.BOOL, "derper.dev", true),
            new Flag("version", Kind.BOOL, null, true, "print the version and exit"),
            new Flag("a", Kind.STRING, "derper.listen", true),
            new Flag("http-port", Kind.INT, "derper.http.port", true),
            new Flag("stun-port", Kind.INT, "derper.stun.port", true),
            new Flag("c", Kind.STRING, "derper.key-file", true),
            new Flag("certmode", Kind.STRING, "derper.tls.mode", true),
            new Flag("certdir", Kind.STRING, "derper.tls.cert-dir", true),
            new Flag("hostname", Kind.STRING, "derper.hostname", true),
            new Flag("acme-eab-kid", Kind.STRING, "derper.tls.acme.eab-kid", true),
            new Flag("acme-eab-key", Kind.STRING, "derper.tls.acme.eab-key", true),
            new Flag("acme-email", Kind.STRING, "derper.tls.acme.email", true),
            new Flag("acme-ip-certs", Kind.BOOL, "derper.tls.acme.ip-certs", true),
            new Flag("stun", Kind.BOOL, "derper.stun.enabled", true),
            new Flag("derp", Kind.BOOL, "derper.relay.enabled", true),
            new Flag("home", Kind.STRING, "derper.home", true),
            new Flag("mesh-psk-file", Kind.STRING, "derper.mesh.key-file", true),
            new Flag("mesh-with", Kind.LIST, "derper.mesh.with", true),
            new Flag("secrets-url", Kind.STRING, "derper.mesh.secrets.url", true),
            new Flag("secrets-path-prefix", Kind.STRING, "derper.mesh.secrets.path-prefix", true),
            new Flag("secrets-cache-dir", Kind.STRING, "derper.mesh.secrets.cache-dir", true),
            new Flag("bootstrap-dns-names", Kind.LIST, "derper.bootstrap-dns.names", true),
            new Flag("unpublished-bootstrap-dns-names", Kind.LIST, "derper.bootstrap-dns.unpublished-names", true),
            new Flag("verify-clients", Kind.BOOL, "derper.verify.tailscaled", true),
            new Flag("verify-client-url", Kind.STRING, "derper.verify.client-url", true),
            new Flag("verify-client-url-fail-open", Kind.BOOL, "derper.verify.fail-open", true),
            new Flag("socket", Kind.STRING, "derper.verify.socket", true),
            new Flag("accept-connection-limit", Kind.FLOAT, "derper.limits.accept-connection-limit", true),
            new Flag("accept-connection-burst", Kind.INT, "derper.limits.accept-connection-burst", true),
            new Flag("rate-config", Kind.STRING, "derper.limits.rate-config", true),
            new Flag("tcp-keepalive-time", Kind.DURATION, "derper.limits.tcp-keepalive-time", true),
            new Flag("tcp-user-timeout", Kind.DURATION, "derper.limits.tcp-user-timeout", true),
            new Flag("tcp-write-timeout", Kind.DURATION, "derper.relay.write-timeout", true),
            new Flag("ace", Kind.BOOL, "derper.ace.enabled", true));

    private static final Map<String, Flag> BY_NAME = FLAGS.stream()
            .collect(java.util.stream.Collectors.toUnmodifiableMap(Flag::name, f -> f));


    /**
     * Result of translation: Spring arguments, whether -version or -h/-help was asked, and warnings to log once
     * started.
     */
    public record Translation(List<String> springArgs, boolean versionRequested, List<String> warnings,
                              boolean helpRequested) {
        public Translation(List<String> springArgs, boolean versionRequested, List<String> warnings) {
            this(springArgs, versionRequested, warnings, false);
        }
    }

    private DerperFlags() {
    }

    /** The flag table, in the original's order: what is translated is exactly what the help lists. */
    static List<Flag> flags() {
        return FLAGS;
    }

    /** The flag that sets {@code property} ({@code "-mesh-psk-file"} for {@code derper.mesh.key-file}), if any. */
    public static java.util.Optional<String> flagFor(String property) {
        return FLAGS.stream().filter(f -> property.equals(f.property())).findFirst().map(f -> "-" + f.name());
    }

    public static Translation translate(String[] args) {
        List<String> out = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        boolean version = false;
        GoFlagSyntax.Parser parser = new GoFlagSyntax.Parser(args, GoFlagSyntax.Positional.SKIP);
        for (GoFlagSyntax.Flag f = parser.next(); f != null; f = parser.next()) {
            String arg = f.arg();
            String name = f.name();
            String value;
            if (arg.startsWith("--") && name.contains(".")) {
                out.add(arg); // a Spring property argument
                continue;
            }
            if (arg.startsWith("--spring") || name.startsWith("spring.") || name.startsWith("management.")
                    || name.startsWith("server.") || name.startsWith("logging.")) {
                out.add(arg);
                continue;
            }
            if (f.isHelp()) {
                return new Translation(List.of(), false, List.of(), true);
            }
            Flag flag = BY_NAME.get(name);
            if (flag == null) {
                throw new IllegalArgumentException("flag provided but not defined: -" + name
                        + " (jderper accepts the original derper's flags and --derper.* properties)");
            }
            if (flag.kind() == Kind.BOOL) {
                Boolean b = GoFlagSyntax.boolFlag(f.inlineValue());
                if (b == null) {
                    throw new IllegalArgumentException("invalid boolean value \"" + f.inlineValue() + "\" for flag -" + name);
                }
                value = String.valueOf(b);
            } else {
                value = parser.value(f);
            }
            if (name.equals("version")) {
                version = Boolean.parseBoolean(value);
                continue;
            }
            String converted = convert(flag, value);
            if (!flag.landed()) {
                // No property either: this build binds none for it, and an unbound derper.* property stops startup.
                warnings.add("flag -" + name + " is accepted but its feature is not available in this build; it has no effect");
                continue;
            }
            // As with Go's flag package the last occurrence wins; Spring would join repeated arguments into a list.
            String assignment = "--" + flag.property() + "=";
            out.removeIf(a -> a.startsWith(assignment));
            out.add(assignment + converted);
        }
        return new Translation(List.copyOf(out), version, List.copyOf(warnings), false);
    }

    private static String convert(Flag flag, String value) {
        return switch (flag.kind()) {
            case INT -> {
                try {
                    Long.parseLong(value.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid value \"" + value + "\" for flag -" + flag.name() + ": parse error");
                }
                yield value.trim();
            }
            case FLOAT -> {
                String v = value.trim();
                if (v.equalsIgnoreCase("inf") || v.equalsIgnoreCase("+inf")) {
                    yield "Infinity";
                }
                try {
                    Double.parseDouble(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid value \"" + value + "\" for flag -" + flag.name() + ": parse error");
                }
                yield v;
            }
            case DURATION -> goDurationToMillis(value, flag.name()) + "ms";
            default -> value;
        };
    }



    static long goDurationToMillis(String text, String flagName) {
        return GoFlagSyntax.parseDuration(text, flagName).toMillis();
    }
}
