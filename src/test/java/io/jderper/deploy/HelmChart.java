package io.jderper.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** Runs the bundled helm (helm-java) against helm/jderper. */
final class HelmChart {

    static final Path CHART = Path.of("helm", "jderper").toAbsolutePath();
    static final String RELEASE = "edge";
    static final String NAMESPACE = "derp";
    static final String FULLNAME = RELEASE + "-jderper";
    static final String KUBE_VERSION = "1.31.0";

    private HelmChart() {
    }

    static Path ciValues(String name) {
        return CHART.resolve("ci").resolve(name);
    }

    static Map<String, Object> defaultValues() {
        return YamlTrees.load(CHART.resolve("values.yaml"));
    }

    /**
     * What the chart's {@code lookup} calls answer. {@code helm template} (and Argo CD, which runs it) has no cluster:
     * every lookup answers an empty map. helm-java's template asks a cluster instead, so the chart is rendered from a
     * copy whose lookups are replaced by the answers given here.
     *
     * @param secretList  answer to listing the release namespace's Secrets (the chart's "is there a cluster" test)
     * @param meshSecret  answer to reading the chart's own mesh Secret
     */
    record Cluster(String secretList, String meshSecret) {
        /** helm template: no cluster. */
        static final Cluster NONE = new Cluster("dict", "dict");
        /** helm install against a cluster that does not hold the mesh Secret yet. */
        static final Cluster WITHOUT_MESH_SECRET = new Cluster("(dict \"kind\" \"SecretList\" \"items\" (list))", "dict");

        /** helm upgrade against a cluster whose mesh Secret holds {@code base64Key} under mesh.key. */
        static Cluster withMeshSecret(String base64Key) {
            return new Cluster(WITHOUT_MESH_SECRET.secretList(),
                    "(dict \"data\" (dict \"mesh.key\" \"" + base64Key + "\"))");
        }
    }

    /** The chart's lookups, by the name they read: "" lists the namespace's Secrets, the other reads the mesh Secret. */
    static final java.util.regex.Pattern LOOKUP = java.util.regex.Pattern.compile(
            "lookup \"v1\" \"Secret\" \\.Release\\.Namespace (\"\"|\\(include \"jderper\\.meshSecretName\" \\.\\))");

    private static final Map<Cluster, Path> CHART_COPIES = new java.util.concurrent.ConcurrentHashMap<>();

    /** A copy of the chart whose lookups answer as {@code cluster} would (see {@link Cluster}). */
    static Path chartAsSeenBy(Cluster cluster) {
        return CHART_COPIES.computeIfAbsent(cluster, c -> {
            try {
                Path copy = Files.createTempDirectory("jderper-chart").resolve("jderper");
                copyTree(CHART, copy);
                answerLookups(copy, c);
                copy.toFile().getParentFile().deleteOnExit();
                return copy;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void answerLookups(Path chart, Cluster cluster) throws IOException {
        try (Stream<Path> files = Files.walk(chart.resolve("templates"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(file);
                java.util.regex.Matcher m = LOOKUP.matcher(text);
                String answered = m.replaceAll(r -> java.util.regex.Matcher.quoteReplacement(
                        r.group(1).equals("\"\"") ? cluster.secretList() : cluster.meshSecret()));
                if (answered.contains("lookup ")) {
                    throw new AssertionError(file + " has a lookup the tests do not answer");
                }
                Files.writeString(file, answered);
            }
        }
    }

    /** helm template with the given values files, then inline overrides (written to a file in workDir). */
    static Manifests render(Path workDir, Map<String, Object> overrides, Path... valuesFiles) {
        return new Manifests(YamlTrees.loadAll(renderText(Cluster.NONE, workDir, overrides, valuesFiles)));
    }

    /** The output of helm template as text, with the lookups answered as {@code cluster} would. */
    static String renderText(Cluster cluster, Path workDir, Map<String, Object> overrides, Path... valuesFiles) {
        TemplateCommand template = new Helm(chartAsSeenBy(cluster)).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Path file : valuesFiles) {
            template = template.withValuesFile(file);
        }
        if (!overrides.isEmpty()) {
            template = template.withValuesFile(write(workDir, "overrides.yaml", YamlTrees.dump(overrides)));
        }
        return template.call();
    }

    static Manifests render(Path workDir, Path... valuesFiles) {
        return render(workDir, Map.of(), valuesFiles);
    }

    /**
     * helm lint --strict. helm-java lints only a chart's own values.yaml, so for extra values the chart is copied
     * into workDir with values.yaml replaced by the merged values.
     */
    static LintResult lint(Path workDir, Path... valuesFiles) {
        if (valuesFiles.length == 0) {
            return new Helm(CHART).lint().strict().call();
        }
        Path copy = workDir.resolve("jderper");
        copyTree(CHART, copy);
        Map<String, Object> merged = defaultValues();
        for (Path file : valuesFiles) {
            merged = YamlTrees.merge(merged, YamlTrees.load(file));
        }
        write(copy, "values.yaml", YamlTrees.dump(merged));
        return new Helm(copy).lint().strict().call();
    }

    /**
     * The text of NOTES.txt for the given values. helm template does not print NOTES, so a copy of the chart renders
     * it through tpl into a ConfigMap.
     */
    static String renderNotes(Path workDir, Map<String, Object> overrides, Path... valuesFiles) {
        Path copy = workDir.resolve("notes-chart");
        copyTree(CHART, copy);
        try {
            answerLookups(copy, Cluster.NONE);
            Files.copy(copy.resolve("templates/NOTES.txt"), copy.resolve("notes.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        write(copy.resolve("templates"), "notes-probe.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: notes-probe
                data:
                  notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}
                """);
        TemplateCommand template = new Helm(copy).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (Path file : valuesFiles) {
            template = template.withValuesFile(file);
        }
        if (!overrides.isEmpty()) {
            template = template.withValuesFile(write(workDir, "notes-overrides.yaml", YamlTrees.dump(overrides)));
        }
        Map<String, Object> probe = new Manifests(YamlTrees.loadAll(template.call())).one("ConfigMap", "notes-probe");
        return (String) YamlTrees.mapAt(probe, "data").get("notes");
    }

    private static Path write(Path dir, String name, String content) {
        try {
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rendered objects of one helm template run. */
    record Manifests(List<Map<String, Object>> objects) {

        List<Map<String, Object>> all(String kind) {
            return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
        }

        Map<String, Object> one(String kind, String name) {
            List<Map<String, Object>> found = all(kind).stream()
                    .filter(o -> name.equals(YamlTrees.stringAt(o, "metadata.name")))
                    .toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one " + kind + " named " + name + ", found " + found.size()
                        + " among " + objects.stream().map(o -> o.get("kind") + "/" + YamlTrees.stringAt(o, "metadata.name")).toList());
            }
            return found.get(0);
        }

        boolean has(String kind, String name) {
            return all(kind).stream().anyMatch(o -> name.equals(YamlTrees.stringAt(o, "metadata.name")));
        }

        Map<String, Object> statefulSet() {
            return one("StatefulSet", FULLNAME);
        }

        Map<String, Object> podSpec() {
            return YamlTrees.mapAt(statefulSet(), "spec.template.spec");
        }

        Map<String, Object> container() {
            return YamlTrees.maps(podSpec().get("containers")).stream()
                    .filter(c -> "jderper".equals(c.get("name")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no container named jderper"));
        }

        /** The application.yml the chart renders into its ConfigMap, as text. */
        String applicationConfigText() {
            Map<String, Object> configMap = one("ConfigMap", FULLNAME + "-config");
            return (String) Objects.requireNonNull(YamlTrees.mapAt(configMap, "data").get("application.yml"));
        }

        /** The application.yml the chart renders into its ConfigMap, parsed. */
        Map<String, Object> applicationConfig() {
            return YamlTrees.load(applicationConfigText());
        }
    }
}
