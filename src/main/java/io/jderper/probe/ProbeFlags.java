package io.jderper.probe;

import io.jderper.config.GoFlagSyntax;
import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The command line of {@code jderper probe}: the original derpprobe's flags with its defaults and Go's flag syntax
 * ({@code -name value}, {@code -name=value}, one or two dashes, booleans as {@code -name} or {@code -name=false}),
 * plus {@code -tls-ca-file} and {@code -derp-http}.
 */
final class ProbeFlags {
    static final String DEFAULT_DERP_MAP = "https://login.tailscale.com/derpmap/default";
    static final String MESH_KEY_ENV = "TAILSCALE_DERPER_MESH_KEY";
    static final String DERP_HTTP_ENV = "TS_DEBUG_USE_DERP_HTTP";

    private enum Kind { BOOL, STRING, DURATION, INT }

    private record Flag(String name, Kind kind, String defaultValue, String usage) {
    }

    private static final Map<String, Flag> FLAGS = new LinkedHashMap<>();

    static {
        add("dev", Kind.BOOL, "false", "run in localhost development mode (mesh key from $" + MESH_KEY_ENV + ")");
        add("derp-map", Kind.STRING, DEFAULT_DERP_MAP, "URL to DERP map (https:// or file://) or 'local' for this region's jderper nodes (derper.mesh.* settings)");
        add("version", Kind.BOOL, "false", "print version and exit");
        add("listen", Kind.STRING, ":8030", "HTTP listen address");
        add("once", Kind.BOOL, "false", "probe once and print results, then exit; ignores the listen flag");
        add("spread", Kind.BOOL, "true", "whether to spread probing over time");
        add("interval", Kind.DURATION, "15s", "probe interval");
        add("mesh-interval", Kind.DURATION, "15s", "mesh probe interval");
        add("stun-interval", Kind.DURATION, "15s", "STUN probe interval");
        add("tls-interval", Kind.DURATION, "15s", "TLS probe interval");
        add("bw-interval", Kind.DURATION, "0s", "bandwidth probe interval (0 = no bandwidth probing)");
        add("bw-probe-size-bytes", Kind.INT, "1000000", "bandwidth probe size");
        add("bw-tun-ipv4-addr", Kind.STRING, "", "not supported by jderper (TCP-in-TCP over a TUN device)");
        add("qd-packets-per-second", Kind.INT, "0", "if greater than 0, queuing delay will be measured continuously using 260 byte packets sent at this rate per second");
        add("qd-packet-timeout", Kind.DURATION, "5s", "queuing delay packets arriving after this period of time from being sent are treated like dropped packets");
        add("region-code", Kind.STRING, "", "probe only this region (e.g. 'lax' or '17'); if left blank, all regions will be probed");
        add("mesh-psk-file", Kind.STRING, "", "if non-empty, path to file containing the mesh pre-shared key file. It must be 64 lowercase hexadecimal characters; whitespace is trimmed.");
        add("secrets-url", Kind.STRING, "", "not supported by jderper (setec); use -mesh-psk-file");
        add("secrets-path-prefix", Kind.STRING, "prod/derp", "ignored (setec)");
        add("secrets-cache-dir", Kind.STRING, "", "ignored (setec)");
        add("tls-ca-file", Kind.STRING, "", "jderper: PEM file of CA certificates trusted for the nodes' TLS certificates, besides the JVM's");
        add("derp-http", Kind.BOOL, "false", "jderper: connect to DERP nodes over plain HTTP, as Tailscale clients do with $" + DERP_HTTP_ENV + "=1; TLS probes are skipped");
    }

    private static void add(String name, Kind kind, String defaultValue, String usage) {
        FLAGS.put(name, new Flag(name, kind, defaultValue, usage));
    }

    /** What the command line asked for. */
    record Parsed(ProbeSettings settings, boolean version, boolean help) {
    }

    private ProbeFlags() {
    }

    static Parsed parse(String[] args, Function<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        FLAGS.values().forEach(f -> values.put(f.name(), f.defaultValue()));
        String envHttp = env.apply(DERP_HTTP_ENV);
        if (envHttp != null && GoFlagSyntax.isBool(envHttp)) {
            values.put("derp-http", String.valueOf(GoFlagSyntax.parseBool(envHttp)));
        }
        GoFlagSyntax.Parser parser = new GoFlagSyntax.Parser(args, GoFlagSyntax.Positional.STOP);
        for (GoFlagSyntax.Flag f = parser.next(); f != null; f = parser.next()) {
            String name = f.name();
            String value;
            if (f.isHelp()) {
                return new Parsed(null, false, true);
            }
            Flag flag = FLAGS.get(name);
            if (flag == null) {
                throw new IllegalArgumentException("flag provided but not defined: -" + name);
            }
            if (flag.kind() == Kind.BOOL) {
                Boolean b = GoFlagSyntax.boolFlag(f.inlineValue());
                if (b == null) {
                    throw new IllegalArgumentException("invalid boolean value \"" + f.inlineValue() + "\" for -" + name + ": parse error");
                }
                value = String.valueOf(b);
            } else {
                value = parser.value(f);
            }
            if (flag.kind() == Kind.DURATION) {
                parseDuration(value, name);
            } else if (flag.kind() == Kind.INT) {
                parseLong(value, name);
            }
            values.put(name, value);
        }
        if (Boolean.parseBoolean(values.get("version"))) {
            return new Parsed(null, true, false);
        }
        if (!values.get("bw-tun-ipv4-addr").isEmpty()) {
            throw new IllegalArgumentException("-bw-tun-ipv4-addr is not supported by jderper: its bandwidth probes send DERP packets directly");
        }
        if (!values.get("secrets-url").isEmpty()) {
            throw new IllegalArgumentException("-secrets-url (setec) is not supported by jderper; give the mesh key with -mesh-psk-file");
        }
        Optional<MeshKey> meshKey = meshKey(Boolean.parseBoolean(values.get("dev")), values.get("mesh-psk-file"), env);
        String ca = values.get("tls-ca-file");
        long qd = parseLong(values.get("qd-packets-per-second"), "qd-packets-per-second");
        if (qd > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("invalid value \"" + qd + "\" for flag -qd-packets-per-second: out of range");
        }
        ProbeSettings settings = new ProbeSettings(
                values.get("derp-map"),
                values.get("listen"),
                Boolean.parseBoolean(values.get("once")),
                Boolean.parseBoolean(values.get("spread")),
                parseDuration(values.get("interval"), "interval"),
                parseDuration(values.get("mesh-interval"), "mesh-interval"),
                parseDuration(values.get("stun-interval"), "stun-interval"),
                parseDuration(values.get("tls-interval"), "tls-interval"),
                parseDuration(values.get("bw-interval"), "bw-interval"),
                parseLong(values.get("bw-probe-size-bytes"), "bw-probe-size-bytes"),
                (int) qd,
                parseDuration(values.get("qd-packet-timeout"), "qd-packet-timeout"),
                values.get("region-code"),
                MeshKeySource.fixed(meshKey),
                ca.isEmpty() ? null : Path.of(ca),
                Boolean.parseBoolean(values.get("derp-http")));
        return new Parsed(settings, false, false);
    }

    private static Optional<MeshKey> meshKey(boolean dev, String pskFile, Function<String, String> env) {
        String text;
        String source;
        if (dev) {
            text = env.apply(MESH_KEY_ENV);
            source = "$" + MESH_KEY_ENV;
        } else if (!pskFile.isEmpty()) {
            try {
                text = Files.readString(Path.of(pskFile));
            } catch (IOException e) {
                throw new IllegalArgumentException("failed to get mesh key: cannot read -mesh-psk-file " + pskFile + ": " + e.getMessage());
            }
            source = "-mesh-psk-file " + pskFile;
        } else {
            return Optional.empty();
        }
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(MeshKey.parse(text.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("failed to get mesh key from " + source + ": " + e.getMessage());
        }
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("Usage: jderper probe [flags]\n");
        FLAGS.values().forEach(f -> {
            sb.append("  -").append(f.name());
            if (f.kind() != Kind.BOOL) {
                sb.append(' ').append(f.kind().name().toLowerCase(Locale.ROOT));
            }
            sb.append("\n    \t").append(f.usage());
            if (!f.defaultValue().isEmpty() && !f.defaultValue().equals("false")) {
                sb.append(" (default ").append(f.kind() == Kind.STRING ? "\"" + f.defaultValue() + "\"" : f.defaultValue()).append(')');
            }
            sb.append('\n');
        });
        return sb.toString();
    }



    private static long parseLong(String v, String name) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value \"" + v + "\" for flag -" + name + ": parse error");
        }
    }

    static Duration parseDuration(String text, String name) {
        return GoFlagSyntax.parseDuration(text, name);
    }
}
