package io.jderper.deploy;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** helm/jderper/README.md lists every value with its default, and nothing that is not a value. */
class ChartReadmeTest {

    static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (.*?) \\| (.*) \\|$", Pattern.MULTILINE);

    @Test
    void everyValueIsListedOnceAndNothingElse() {
        Map<String, String> rows = rows();
        assertThat(new TreeSet<>(rows.keySet())).isEqualTo(ValuesSchemaTest.documentedPaths());
    }

    @Test
    void scalarDefaultsAreTheDefaultsOfValuesYaml() {
        Map<String, Object> values = HelmChart.defaultValues();
        rows().forEach((path, shown) -> {
            Object v = YamlTrees.at(values, path);
            String expected;
            if (v instanceof String s) {
                expected = s.isEmpty() ? "`\"\"`" : "`" + s.replace("|", "\\|") + "`";
            } else if (v instanceof Number || v instanceof Boolean) {
                expected = "`" + v + "`";
            } else if (v instanceof java.util.Collection<?> c && c.isEmpty()) {
                expected = "`[]`";
            } else if (v instanceof Map<?, ?> m && m.isEmpty()) {
                expected = "`{}`";
            } else {
                return; // lists and maps with content: shown as JSON, checked by eye
            }
            assertThat(shown).as("default of %s", path).isEqualTo(expected);
        });
    }

    @Test
    void everyRowSaysWhatTheValueDoes() {
        rows().forEach((path, shown) -> assertThat(description(path)).as("description of %s", path).isNotBlank());
    }

    private static Map<String, String> rows() {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = ROW.matcher(readme());
        while (m.find()) {
            assertThat(out.put(m.group(1), m.group(2))).as("%s listed twice", m.group(1)).isNull();
        }
        return out;
    }

    private static String description(String path) {
        Matcher m = ROW.matcher(readme());
        while (m.find()) {
            if (m.group(1).equals(path)) {
                return m.group(3);
            }
        }
        return null;
    }

    private static String readme() {
        return ContainerFilesTest.read(HelmChart.CHART.resolve("README.md"));
    }
}
