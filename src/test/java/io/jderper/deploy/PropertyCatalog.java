package io.jderper.deploy;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.type.filter.AnnotationTypeFilter;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The derper.* property names as the application defines them, read from the @ConfigurationProperties records in
 * io.jderper.config, so that deployment files are checked against the code rather than against a copied list.
 */
final class PropertyCatalog {

    private static final String CONFIG_PACKAGE = "io.jderper.config";

    /** Record type by prefix, e.g. "derper.mesh" → MeshProperties. */
    private static final Map<String, Class<?>> RECORDS = scan();

    /** Every leaf property in kebab-case, e.g. "derper.tls.acme.eab-kid". */
    private static final Set<String> NAMES = leaves();

    private PropertyCatalog() {
    }

    static Set<String> names() {
        return NAMES;
    }

    static Map<String, Class<?>> records() {
        return RECORDS;
    }

    /**
     * The property an environment variable binds to under Spring's relaxed binding, or null when it is none. Both
     * forms Spring accepts for a record property count: dashes removed (DERPER_MESH_KEYFILE, the documented form) and
     * dashes as underscores (DERPER_MESH_KEY_FILE). A trailing numeric segment is a list index (DERPER_MESH_WITH_0).
     */
    static String propertyForEnvironmentVariable(String variable) {
        List<String> segments = new ArrayList<>(List.of(variable.toUpperCase(Locale.ROOT).split("_")));
        while (!segments.isEmpty() && segments.get(segments.size() - 1).matches("\\d+")) {
            segments.remove(segments.size() - 1);
        }
        String wanted = String.join("_", segments);
        return NAMES.stream()
                .filter(n -> environmentForms(n).contains(wanted))
                .findFirst().orElse(null);
    }

    /** DERPER_MESH_KEYFILE and DERPER_MESH_KEY_FILE for derper.mesh.key-file. */
    static Set<String> environmentForms(String property) {
        String upper = property.toUpperCase(Locale.ROOT).replace('.', '_');
        return new java.util.HashSet<>(List.of(upper.replace("-", ""), upper.replace('-', '_')));
    }

    /**
     * Binds every properties record from the given sources exactly as the application would (constructor binding,
     * @DefaultValue, the records' own validation), resolving ${...} placeholders against the same sources.
     */
    static Map<String, Object> bindAll(Collection<PropertySource<?>> sources) {
        MutablePropertySources all = new MutablePropertySources();
        sources.forEach(all::addLast);
        Binder binder = new Binder(ConfigurationPropertySources.from(all), new PropertySourcesPlaceholdersResolver(all));
        Map<String, Object> bound = new TreeMap<>();
        RECORDS.forEach((prefix, type) -> bound.put(prefix, binder.bindOrCreate(prefix, Bindable.of(type))));
        return bound;
    }

    private static Map<String, Class<?>> scan() {
        var scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        Map<String, Class<?>> out = new TreeMap<>();
        for (var candidate : scanner.findCandidateComponents(CONFIG_PACKAGE)) {
            try {
                Class<?> type = Class.forName(candidate.getBeanClassName());
                ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
                String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
                out.put(prefix, type);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no @ConfigurationProperties classes found in " + CONFIG_PACKAGE);
        }
        return out;
    }

    private static Set<String> leaves() {
        Set<String> out = new TreeSet<>();
        RECORDS.forEach((prefix, type) -> collect(prefix, type, out));
        return out;
    }

    private static void collect(String prefix, Class<?> type, Set<String> out) {
        if (!type.isRecord()) {
            throw new IllegalStateException(type + " is not a record; extend PropertyCatalog to read it");
        }
        for (RecordComponent component : type.getRecordComponents()) {
            String name = prefix + "." + kebab(component.getName());
            Class<?> componentType = component.getType();
            if (componentType.isRecord() && componentType.getPackageName().startsWith("io.jderper")) {
                collect(name, componentType, out);
            } else {
                out.add(name);
            }
        }
    }

    static String kebab(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
