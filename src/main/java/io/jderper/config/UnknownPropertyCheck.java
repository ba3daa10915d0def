package io.jderper.config;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Stops startup on a {@code derper.*} property that nothing binds, wherever it was set (application.yml, an environment
 * variable, a {@code --derper.x=} argument), naming the nearest valid property: Spring would otherwise ignore
 * {@code derper.relay.drain-perod=5s} and run with the default. The valid names are those of the configuration
 * metadata ({@link PropertyCatalog}), so every record component is known as soon as it compiles.
 */
final class UnknownPropertyCheck implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {
    private static final ConfigurationPropertyName ROOT = ConfigurationPropertyName.of("derper");
    private static final String ENV_PREFIX = "DERPER_";
    private static final Pattern ENV_INDEX = Pattern.compile("(_\\d+_?)+");

    private final PropertyCatalog catalog;

    UnknownPropertyCheck() {
        this(PropertyCatalog.current());
    }

    UnknownPropertyCheck(PropertyCatalog catalog) {
        this.catalog = catalog;
    }

    /** After logging is set up, so that the failure report is printed like any other. */
    @Override
    public int getOrder() {
        return LoggingApplicationListener.DEFAULT_ORDER + 1;
    }

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        check(event.getEnvironment());
    }

    void check(ConfigurableEnvironment environment) {
        if (catalog.isEmpty()) {
            return; // a build without generated metadata (an IDE without annotation processing) cannot tell
        }
        List<String> unknown = new ArrayList<>();
        String first = null;
        for (PropertySource<?> source : environment.getPropertySources()) {
            if (ConfigurationPropertySources.isAttachedConfigurationPropertySource(source)
                    || !(source instanceof EnumerablePropertySource<?> enumerable)) {
                continue;
            }
            boolean env = StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME.equals(source.getName());
            for (String name : enumerable.getPropertyNames()) {
                Optional<String> problem = env ? checkEnvironmentVariable(name) : checkProperty(name);
                if (problem.isPresent()) {
                    String where = " (set in " + PropertySourceOrigin.get(source, name) + ")";
                    unknown.add(first == null ? problem.get() + where : "also " + name + ": " + problem.get() + where);
                    first = first == null ? name : first;
                }
            }
        }
        if (!unknown.isEmpty()) {
            // The value is left out: a misspelt derper.mesh.key would otherwise print the key.
            throw new StartupFailure(first, null, String.join("\n", unknown),
                    "Correct or remove it: Spring would ignore it and run with the default.");
        }
    }

    private Optional<String> checkProperty(String raw) {
        ConfigurationPropertyName name = ConfigurationPropertyName.adapt(raw, '.');
        if (!ROOT.isAncestorOf(name) || known(name)) {
            return Optional.empty();
        }
        return Optional.of(unknownMessage(name.toString()));
    }

    private boolean known(ConfigurationPropertyName name) {
        for (PropertyCatalog.Property p : catalog.all()) {
            ConfigurationPropertyName k = ConfigurationPropertyName.of(p.name());
            // equal, an element of a list or map property, or a parent written as an empty map in YAML
            if (k.equals(name) || k.isAncestorOf(name) || name.isAncestorOf(k)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Environment variables bind in two forms: DERPER_MESH_KEYFILE (dashes dropped) and DERPER_MESH_KEY_FILE (dashes as
     * underscores), a list element with a numeric suffix (DERPER_MESH_WITH_0).
     */
    private Optional<String> checkEnvironmentVariable(String variable) {
        if (!variable.startsWith(ENV_PREFIX)) {
            return Optional.empty();
        }
        String base = ENV_INDEX.matcher(variable).replaceFirst("");
        for (PropertyCatalog.Property p : catalog.all()) {
            String dotted = p.name().toUpperCase(Locale.ROOT).replace('.', '_');
            String form = dotted.replace("-", "");
            String legacy = dotted.replace('-', '_');
            if (variable.equals(form) || variable.equals(legacy) || base.equals(form) || base.equals(legacy)
                    || form.startsWith(variable + "_") || legacy.startsWith(variable + "_")) {
                return Optional.empty();
            }
        }
        return Optional.of(unknownMessage(variable.toLowerCase(Locale.ROOT).replace('_', '.')));
    }

    private String unknownMessage(String comparable) {
        String hint = catalog.closest(comparable)
                .filter(c -> PropertyCatalog.editDistance(comparable, c) <= Math.max(3, comparable.length() / 4))
                .map(c -> "; did you mean " + c + "?")
                .orElse("; no property has a similar name");
        return "not a known property" + hint;
    }

}
