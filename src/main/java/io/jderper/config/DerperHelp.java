package io.jderper.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code -h} text: every flag of the table {@link DerperFlags} translates from, in Go's usage layout, each with the
 * default and description of the property it sets (from {@link PropertyCatalog}), so the help, the mapping and the
 * properties' documentation are one source.
 */
public final class DerperHelp {
    private static final int WIDTH = 100;
    private static final String INDENT = "        ";

    private DerperHelp() {
    }

    public static String render() {
        return render(DerperFlags.flags(), PropertyCatalog.current());
    }

    static String render(List<DerperFlags.Flag> flags, PropertyCatalog catalog) {
        StringBuilder out = new StringBuilder();
        out.append("Usage: java -jar jderper.jar [flags] [--derper.<property>=<value> ...]\n")
                .append("       java -jar jderper.jar probe|stunc|load [flags]    (tools sharing the jar, each with its own usage)\n\n")
                .append("The flags are those of Tailscale's derper: -flag value or -flag=value, one dash or two,\n")
                .append("Go durations (15s, 1h30m). Each one sets the derper.* property named below it.\n\n");
        for (DerperFlags.Flag flag : flags) {
            appendFlag(out, flag, catalog);
        }
        out.append("  -h, -help\n").append(INDENT).append("print this text and exit\n\n")
                .append("Every derper.* property, including those no flag sets, is described in README.md (\"Running it\")\n")
                .append("and docs/operations.md. They can also be set in an application.yml in the working directory, as\n")
                .append("environment variables (DERPER_MESH_KEYFILE for derper.mesh.key-file) or as --derper.x=y arguments.\n")
                .append("A misspelt derper.* property stops startup naming the nearest valid one.\n");
        return out.toString();
    }

    private static void appendFlag(StringBuilder out, DerperFlags.Flag flag, PropertyCatalog catalog) {
        out.append("  -").append(flag.name());
        String type = typeName(flag.kind());
        if (!type.isEmpty()) {
            out.append(' ').append(type);
        }
        out.append('\n');
        PropertyCatalog.Property property = flag.property() == null ? null : catalog.find(flag.property()).orElse(null);
        String text;
        if (flag.usage() != null) {
            text = flag.usage();
        } else if (property != null && !property.description().isEmpty()) {
            text = withoutFlagName(property.description(), flag.name());
        } else {
            text = "accepted for compatibility; not available in this build (starts with a warning)";
        }
        String defaultValue = property == null ? "" : shownDefault(flag.kind(), property.defaultValue());
        if (!defaultValue.isEmpty()) {
            text += " (default " + defaultValue + ")";
        }
        wrap(out, text);
        if (flag.property() != null && flag.landed()) {
            out.append(INDENT).append("property ").append(flag.property()).append('\n');
        }
    }

    /** Property descriptions start by naming their flag ("-a: ..."), which the help already has as the heading. */
    private static String withoutFlagName(String description, String flag) {
        String prefix = "-" + flag;
        if (description.startsWith(prefix + ":") || description.startsWith(prefix + ";")) {
            return description.substring(prefix.length() + 1).strip();
        }
        return description;
    }

    /** As Go prints them: no default for a false bool or an empty string, strings quoted. */
    private static String shownDefault(DerperFlags.Kind kind, String value) {
        if (value.isEmpty() || (kind == DerperFlags.Kind.BOOL && value.equals("false"))) {
            return "";
        }
        return kind == DerperFlags.Kind.STRING || kind == DerperFlags.Kind.LIST ? "\"" + value + "\"" : value;
    }

    private static String typeName(DerperFlags.Kind kind) {
        return switch (kind) {
            case BOOL -> "";
            case STRING, LIST -> "string";
            case INT -> "int";
            case FLOAT -> "float";
            case DURATION -> "duration";
        };
    }

    private static void wrap(StringBuilder out, String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && INDENT.length() + line.length() + 1 + word.length() > WIDTH) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        lines.add(line.toString());
        lines.forEach(l -> out.append(INDENT).append(l).append('\n'));
    }
}
