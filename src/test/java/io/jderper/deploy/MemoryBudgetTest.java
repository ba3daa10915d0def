package io.jderper.deploy;

import io.jderper.deploy.HelmChart.Manifests;
import io.jderper.deploy.JvmMemory.Sizes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jderper.deploy.YamlTrees.at;
import static io.jderper.deploy.YamlTrees.map;
import static io.jderper.deploy.YamlTrees.mapAt;
import static io.jderper.deploy.YamlTrees.maps;
import static io.jderper.deploy.YamlTrees.stringAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Heap, direct memory, metaspace, code cache, thread stacks and the JVM's own native memory together fit under the
 * container's memory limit, wherever the JVM's options are written: the chart (server and prober), the Dockerfile,
 * the compose file, and the table in docs/performance.md. A JVM that outgrows its limit is OOM-killed by the kernel
 * with no error of its own; one that stays inside ends a full heap with OutOfMemoryError and a clean exit.
 */
class MemoryBudgetTest {

    static final JvmMemory FORMULA = JvmMemory.chartDefaults();

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"default-values.yaml", "meshed-values.yaml"})
    void everyChartContainerFitsItsLimit(String file) {
        Manifests m = HelmChart.render(work, Map.of("prober", Map.of("enabled", true)), HelmChart.ciValues(file));
        List<Map<String, Object>> containers = new ArrayList<>();
        containers.add(m.container());
        containers.addAll(maps(at(m.one("Deployment", HelmChart.FULLNAME + "-prober"), "spec.template.spec.containers")));
        for (Map<String, Object> container : containers) {
            int limit = JvmMemory.quantityMiB(stringAt(container, "resources.limits.memory"));
            Sizes sizes = Sizes.parse(HelmChartTest.env(container).get("JDK_JAVA_OPTIONS"));
            assertThat(sizes).as("%s in %s: the formula for %d MiB", container.get("name"), file, limit)
                    .isEqualTo(FORMULA.forLimit(limit));
            assertThat(sizes.worstCaseMiB(FORMULA)).as("%s in %s", container.get("name"), file).isLessThanOrEqualTo(limit);
            // The heap gets the larger share: idle connections live there (about 2.2 KiB each).
            assertThat(sizes.heapMiB()).isGreaterThan(sizes.directMiB());
        }
    }

    /** ci/small-node-values.yaml: its own jvmMemory, the formula with those numbers, C1 only and one malloc arena. */
    @Test
    void theSmallNodeProfileIsTheFormulaForItsOwnBudget() {
        Path file = HelmChart.ciValues("small-node-values.yaml");
        JvmMemory budget = JvmMemory.fromValues(YamlTrees.load(file));
        Map<String, Object> container = HelmChart.render(work, file).container();
        int limit = JvmMemory.quantityMiB(stringAt(container, "resources.limits.memory"));
        assertThat(limit).isEqualTo(256);
        Map<String, String> env = HelmChartTest.env(container);
        String options = env.get("JDK_JAVA_OPTIONS");
        Sizes sizes = Sizes.parse(options);
        assertThat(sizes).isEqualTo(budget.forLimit(limit)).isEqualTo(new Sizes(67, 45, 64, 16, 256));
        assertThat(sizes.worstCaseMiB(budget)).isLessThanOrEqualTo(limit);
        assertThat(options).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
        assertThat(env).containsEntry("MALLOC_ARENA_MAX", "1");
    }

    @Test
    void aLargerLimitGrowsHeapAndDirectMemoryButNotTheFixedParts() {
        Sizes small = sizesFor("768Mi");
        Sizes large = sizesFor("2Gi");
        assertThat(large.heapMiB()).isGreaterThan(small.heapMiB());
        assertThat(large.directMiB()).isGreaterThan(small.directMiB());
        assertThat(large.metaspaceMiB()).isEqualTo(small.metaspaceMiB());
        assertThat(large.heapMiB() + large.directMiB() - small.heapMiB() - small.directMiB()).isEqualTo(2048 - 768);
        assertThat(sizesFor("1.5Gi")).isEqualTo(FORMULA.forLimit(1536));
        assertThat(sizesFor("1000M")).isEqualTo(FORMULA.forLimit(953));
    }

    @Test
    void aLimitTooSmallForTheFixedPartsFailsNamingTheValues() {
        assertThatThrownBy(() -> sizesFor("256Mi"))
                .hasMessageContaining("resources.limits.memory (256 MiB) leaves")
                .hasMessageContaining("raise the limit or lower jvmMemory");
    }

    @Test
    void noLimitFailsBecauseNothingCouldBeSized() {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("limits", null);
        resources.put("requests", Map.of("memory", "512Mi"));
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("resources", resources)))
                .hasMessageContaining("/resources").hasMessageContaining("missing property 'limits'");
        Map<String, Object> noMemory = new LinkedHashMap<>();
        noMemory.put("memory", null); // null deletes the chart's default
        noMemory.put("cpu", "1");
        assertThatThrownBy(() -> HelmChart.render(work, Map.of("prober", Map.of("enabled", true,
                "resources", Map.of("limits", noMemory)))))
                .hasMessageContaining("/prober/resources/limits").hasMessageContaining("missing property 'memory'");
    }

    @Test
    void theImagesDefaultsAreTheFormulaForTheLimitItsLabelNames() {
        List<ContainerFilesTest.Instruction> instructions = ContainerFilesTest.Instruction.parse(
                ContainerFilesTest.read(ContainerFilesTest.ROOT.resolve("Dockerfile")));
        Map<String, String> env = new LinkedHashMap<>();
        instructions.stream().filter(i -> i.keyword().equals("ENV"))
                .forEach(i -> env.putAll(ContainerFilesTest.Instruction.envPairs(i.args())));
        String limit = ContainerFilesTest.labels(instructions).get("io.jderper.memory-limit");
        assertThat(limit).as("LABEL io.jderper.memory-limit").isNotNull();
        int limitMiB = JvmMemory.quantityMiB(limit);
        Sizes sizes = Sizes.parse(env.get("JDK_JAVA_OPTIONS"));
        assertThat(sizes).isEqualTo(FORMULA.forLimit(limitMiB));
        assertThat(sizes.worstCaseMiB(FORMULA)).isLessThanOrEqualTo(limitMiB);
    }

    @Test
    void everyComposeJvmHasALimitAndFitsIt() {
        Map<String, Object> services = mapAt(YamlTrees.load(ContainerFilesTest.ROOT.resolve("docker-compose.yml")), "services");
        int checked = 0;
        for (Map.Entry<String, Object> e : services.entrySet()) {
            Map<String, Object> service = map(e.getValue());
            if (service.get("entrypoint") != null) {
                continue; // a shell step, no JVM
            }
            Object limit = service.get("mem_limit");
            assertThat(limit).as("%s: mem_limit", e.getKey()).isNotNull();
            int limitMiB = JvmMemory.quantityMiB(String.valueOf(limit));
            String options = ContainerFilesTest.environmentOf(service).get("JDK_JAVA_OPTIONS");
            assertThat(options).as("%s: JDK_JAVA_OPTIONS", e.getKey()).isNotNull();
            Sizes sizes = Sizes.parse(options);
            assertThat(sizes).as(e.getKey()).isEqualTo(FORMULA.forLimit(limitMiB));
            assertThat(sizes.worstCaseMiB(FORMULA)).as(e.getKey()).isLessThanOrEqualTo(limitMiB);
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(4);
    }

    /** Rows of docs/performance.md's table: | 768 MiB | 392 MiB | 168 MiB | */
    @Test
    void theDocumentedTableIsTheFormula() {
        String doc = ContainerFilesTest.read(ContainerFilesTest.ROOT.resolve("docs/performance.md"));
        int start = doc.indexOf("## Memory");
        assertThat(start).as("docs/performance.md has a Memory section").isNotNegative();
        String section = doc.substring(start);
        int next = section.indexOf("\n## ", 4);
        section = next < 0 ? section : section.substring(0, next);
        Matcher row = Pattern.compile("^\\| (\\d+) MiB \\| (\\d+) MiB \\| (\\d+) MiB \\|", Pattern.MULTILINE).matcher(section);
        int rows = 0;
        while (row.find()) {
            int limit = Integer.parseInt(row.group(1));
            Sizes expected = FORMULA.forLimit(limit);
            assertThat(Integer.parseInt(row.group(2))).as("heap for %d MiB", limit).isEqualTo(expected.heapMiB());
            assertThat(Integer.parseInt(row.group(3))).as("direct for %d MiB", limit).isEqualTo(expected.directMiB());
            rows++;
        }
        assertThat(rows).as("rows of the limit/heap/direct table").isGreaterThanOrEqualTo(3);
        assertThat(section).contains("metaspaceMiB + codeCacheMiB + threads * stackKiB / 1024 + nativeMiB")
                .contains(FORMULA.fixedMiB() + " MiB");
    }

    private Sizes sizesFor(String limit) {
        Manifests m = HelmChart.render(work, Map.of("resources", Map.of("limits", Map.of("memory", limit))));
        return Sizes.parse(HelmChartTest.env(m.container()).get("JDK_JAVA_OPTIONS"));
    }
}
