package io.jderper.config;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.net.URL;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Every {@code derper.*} property this build binds, with its description and default, read from the configuration
 * metadata the annotation processor generates from the properties records (their Javadoc {@code @param} text). One
 * source for the help text, the failure reports and the unknown-property check, so a new record component is known
 * everywhere once it compiles.
 */
public final class PropertyCatalog {
    static final String METADATA = "META-INF/spring-configuration-metadata.json";
    private static final String PREFIX = "derper.";
    private static final Pattern INLINE_TAG = Pattern.compile("\\{@(?:code|link|literal|linkplain)\\s+([^}]*)}");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    /** One property: canonical name, Java type, plain-text description, default as text (empty if none). */
    public record Property(String name, String type, String description, String defaultValue) {
    }

    private final Map<String, Property> properties;

    PropertyCatalog(Map<String, Property> properties) {
        this.properties = Collections.unmodifiableMap(new TreeMap<>(properties));
    }

    private static final class Holder {
        static final PropertyCatalog INSTANCE = load(PropertyCatalog.class.getClassLoader());
    }

    /** The catalog of the running build (read once). */
    public static PropertyCatalog current() {
        return Holder.INSTANCE;
    }

    static PropertyCatalog load(ClassLoader loader) {
        JsonMapper json = JsonMapper.builder().build();
        Map<String, Property> found = new TreeMap<>();
        try {
            Enumeration<URL> files = loader.getResources(METADATA);
            while (files.hasMoreElements()) {
                byte[] content;
                try (InputStream in = files.nextElement().openStream()) {
                    content = in.readAllBytes();
                }
                // Every Spring module ships its own metadata; only this build's mentions derper.* and is worth parsing.
                if (new String(content, StandardCharsets.UTF_8).contains("\"" + PREFIX)) {
                    for (JsonNode p : json.readTree(content).path("properties")) {
                        String name = p.path("name").asString("");
                        if (name.startsWith(PREFIX)) {
                            found.put(name, new Property(name, p.path("type").asString(""),
                                    plainText(p.path("description").asString("")), defaultText(p.get("defaultValue"))));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + METADATA, e);
        }
        return new PropertyCatalog(found);
    }

    private static String defaultText(JsonNode value) {
        if (value == null || value.isNull()) {
            return "";
        }
        if (value.isArray()) {
            StringBuilder s = new StringBuilder();
            value.forEach(v -> s.append(s.isEmpty() ? "" : ",").append(v.asString()));
            return s.toString();
        }
        return value.asString();
    }

    /** Javadoc inline tags as their text, whitespace collapsed: {@code {@code -a}} reads "-a". */
    static String plainText(String javadoc) {
        return SPACES.matcher(INLINE_TAG.matcher(javadoc).replaceAll("$1")).replaceAll(" ").strip();
    }

    public Collection<Property> all() {
        return properties.values();
    }

    public Optional<Property> find(String name) {
        return Optional.ofNullable(properties.get(name));
    }

    public boolean isEmpty() {
        return properties.isEmpty();
    }

    /** The known property nearest to {@code name} by edit distance, for "did you mean" hints. */
    public Optional<String> closest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : properties.keySet()) {
            int d = editDistance(name, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Levenshtein distance (insertions, deletions, substitutions each cost 1). */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
