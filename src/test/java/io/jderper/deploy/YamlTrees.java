package io.jderper.deploy;

import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/** Small typed accessors over SnakeYAML trees, so that tests read like the manifests they check. */
final class YamlTrees {

    private YamlTrees() {
    }

    private static org.yaml.snakeyaml.Yaml parser() {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        return new org.yaml.snakeyaml.Yaml(options);
    }

    static Map<String, Object> load(String text) {
        Object doc = parser().load(text);
        return doc == null ? Map.of() : map(doc);
    }

    static Map<String, Object> load(Path file) {
        try {
            return load(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Map<String, Object>> loadAll(String text) {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : parser().loadAll(text)) {
            if (doc != null) {
                docs.add(map(doc));
            }
        }
        return docs;
    }

    static String dump(Map<String, Object> tree) {
        return parser().dump(tree);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new AssertionError("expected a mapping, got " + node);
        }
        return (Map<String, Object>) m;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        if (!(node instanceof List<?> l)) {
            throw new AssertionError("expected a sequence, got " + node);
        }
        return (List<Object>) l;
    }

    static List<Map<String, Object>> maps(Object node) {
        return list(node).stream().map(YamlTrees::map).toList();
    }

    /** Value at a dotted path ("spec.template.spec"), or null. Keys containing dots cannot be addressed. */
    static Object at(Map<String, Object> root, String path) {
        Object node = root;
        for (String key : path.split("\\.")) {
            if (!(node instanceof Map<?, ?> m)) {
                return null;
            }
            node = m.get(key);
        }
        return node;
    }

    static Map<String, Object> mapAt(Map<String, Object> root, String path) {
        return map(Objects.requireNonNull(at(root, path), path));
    }

    static String stringAt(Map<String, Object> root, String path) {
        Object v = at(root, path);
        return v == null ? null : String.valueOf(v);
    }

    /** Leaf paths of a tree: scalars and sequences are leaves. */
    static Set<String> leafPaths(String prefix, Map<String, Object> tree) {
        Set<String> out = new TreeSet<>();
        tree.forEach((k, v) -> {
            String path = prefix.isEmpty() ? k : prefix + "." + k;
            if (v instanceof Map<?, ?> m && !m.isEmpty()) {
                out.addAll(leafPaths(path, map(m)));
            } else {
                out.add(path);
            }
        });
        return out;
    }

    /** Flattened view for a Spring property source: "a.b[0]" keys. */
    static Map<String, Object> flatten(Map<String, Object> tree) {
        Map<String, Object> out = new LinkedHashMap<>();
        flatten("", tree, out);
        return out;
    }

    private static void flatten(String prefix, Object node, Map<String, Object> out) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> flatten(prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k, v, out));
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                flatten(prefix + "[" + i + "]", l.get(i), out);
            }
        } else {
            out.put(prefix, node);
        }
    }

    /** Deep merge: values of {@code override} win; maps merge, everything else is replaced. */
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        override.forEach((k, v) -> {
            Object existing = out.get(k);
            if (existing instanceof Map<?, ?> em && v instanceof Map<?, ?> vm) {
                out.put(k, merge(map(em), map(vm)));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }
}
