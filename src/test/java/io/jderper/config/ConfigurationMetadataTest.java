package io.jderper.config;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;

import java.lang.reflect.RecordComponent;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generated configuration metadata against what the application really binds: every {@code @ConfigurationProperties}
 * record under io.jderper, walked component by component, so that a property added anywhere without Javadoc, or
 * missing from the metadata the help and the unknown-property check read, fails here.
 */
class ConfigurationMetadataTest {

    @Test
    void everyBoundDerperPropertyHasMetadataWithADescription() throws Exception {
        Set<String> bound = boundProperties();
        assertThat(bound).contains("derper.listen", "derper.relay.drain-period", "derper.tls.acme.eab-kid",
                "derper.mesh.key-file");
        PropertyCatalog catalog = PropertyCatalog.current();
        Set<String> described = new TreeSet<>();
        catalog.all().forEach(p -> described.add(p.name()));
        assertThat(described).as("metadata names = bound names").isEqualTo(bound);
        for (String name : bound) {
            assertThat(catalog.find(name).orElseThrow().description()).as(name).isNotBlank()
                    .doesNotContain("{@code").matches(d -> !d.matches("-[a-z0-9-]+"), "more than the flag's name");
        }
    }

    @Test
    void defaultsInTheMetadataAreTheBoundDefaults() {
        PropertyCatalog catalog = PropertyCatalog.current();
        assertThat(catalog.find("derper.listen").orElseThrow().defaultValue()).isEqualTo(":443");
        assertThat(catalog.find("derper.limits.accept-connection-limit").orElseThrow().defaultValue()).isEqualTo("Infinity");
        assertThat(catalog.find("derper.relay.write-timeout").orElseThrow().defaultValue()).isEqualTo("2s");
        assertThat(catalog.find("derper.key-file").orElseThrow().defaultValue()).isEmpty();
    }

    /** Property names the binder derives from the records: kebab-case components, nested records as groups. */
    static Set<String> boundProperties() throws ClassNotFoundException {
        var scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        Set<String> names = new TreeSet<>();
        for (BeanDefinition candidate : scanner.findCandidateComponents("io.jderper")) {
            Class<?> type = Class.forName(candidate.getBeanClassName());
            String prefix = type.getAnnotation(ConfigurationProperties.class).value();
            if (prefix.startsWith("derper")) {
                collect(prefix, type, names);
            }
        }
        return names;
    }

    private static void collect(String prefix, Class<?> type, Set<String> names) {
        for (RecordComponent c : type.getRecordComponents()) {
            String name = prefix + "." + kebab(c.getName());
            if (c.getType().isRecord() && c.getType().getName().startsWith("io.jderper")) {
                collect(name, c.getType(), names);
            } else {
                names.add(name);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
