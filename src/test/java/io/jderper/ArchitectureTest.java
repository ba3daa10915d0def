package io.jderper;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package structure, read from the sources' imports and fully qualified references: dependencies between
 * {@code io.jderper} packages point one way (no cycle of any length), and the codec, the keys and the relay's packet
 * path stay free of Spring so they can be used and tested without a context.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** An import or an inline qualified name: a lower-case package path followed by a class name. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.jderper(?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z]");
    private static final Pattern SPRING = Pattern.compile("^import\\s+(static\\s+)?org\\.springframework\\.", Pattern.MULTILINE);

    /** The server classes a relayed packet passes through, or that hold a connection's per-packet state. */
    private static final Set<String> PACKET_PATH = Set.of("ClientConnection", "ConnectionOutbox",
            "PeerGoneTracker", "ClientRegistry", "PeerEntry", "PacketQueue", "Relay", "RelayContext",
            "DerpConnectionHandler", "PacketForwarder", "DerpMetrics", "DropReason", "HandshakeCrypto",
            "ServerIdentity", "ConnectionInfo", "ClientAdmission", "TcpRttSampler");

    record Source(Path file, String pkg, String text) {
        String simpleName() {
            String n = file.getFileName().toString();
            return n.substring(0, n.length() - ".java".length());
        }
    }

    static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                Matcher m = PACKAGE.matcher(text);
                assertThat(m.find()).as("package declaration in %s", f).isTrue();
                out.add(new Source(f, m.group(1), text));
            }
        }
        return out;
    }

    /** Package → the other io.jderper packages it refers to (comments included: a stale comment is cheap to fix). */
    static Map<String, Set<String>> dependencies(List<Source> sources) {
        Set<String> packages = new TreeSet<>();
        sources.forEach(s -> packages.add(s.pkg()));
        Map<String, Set<String>> deps = new TreeMap<>();
        for (Source s : sources) {
            Set<String> mine = deps.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(s.text());
            while (m.find()) {
                String target = m.group(1);
                // A nested class reference (io.jderper.server.DerpServer.Foo) names its package by the longest prefix.
                while (!packages.contains(target) && target.contains(".")) {
                    target = target.substring(0, target.lastIndexOf('.'));
                }
                if (packages.contains(target) && !target.equals(s.pkg())) {
                    mine.add(target);
                }
            }
        }
        return deps;
    }

    @Test
    void packageDependenciesHaveNoCycles() throws IOException {
        Map<String, Set<String>> deps = dependencies(sources());
        assertThat(deps).containsKeys("io.jderper.server", "io.jderper.protocol", "io.jderper.mesh");
        List<List<String>> cycles = new ArrayList<>();
        for (List<String> component : new Tarjan(deps).components()) {
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
        assertThat(cycles).as("package cycles (each list is a set of packages that reach each other); dependencies: %s",
                deps).isEmpty();
    }

    @Test
    void theCodecKeysAndPacketPathDoNotUseSpring() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (Source s : sources()) {
            boolean pure = s.pkg().equals("io.jderper.key") || s.pkg().equals("io.jderper.protocol")
                    || (s.pkg().equals("io.jderper.server") && PACKET_PATH.contains(s.simpleName()));
            if (pure && SPRING.matcher(s.text()).find()) {
                offenders.add(s.file().toString());
            }
        }
        assertThat(offenders).isEmpty();
    }

    @Test
    void theCheckSeesARealDependencyAndWouldSeeACycle() throws IOException {
        Map<String, Set<String>> deps = dependencies(sources());
        assertThat(deps.get("io.jderper.server")).contains("io.jderper.protocol", "io.jderper.key");
        Map<String, Set<String>> withCycle = new HashMap<>(deps);
        withCycle.put("io.jderper.protocol", new TreeSet<>(Set.of("io.jderper.server")));
        assertThat(new Tarjan(withCycle).components()).anyMatch(c -> c.contains("io.jderper.server")
                && c.contains("io.jderper.protocol"));
    }

    /** Strongly connected components of the package graph. */
    static final class Tarjan {
        private final Map<String, Set<String>> graph;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<List<String>> components = new ArrayList<>();
        private int next;

        Tarjan(Map<String, Set<String>> graph) {
            this.graph = graph;
        }

        List<List<String>> components() {
            for (String v : graph.keySet()) {
                if (!index.containsKey(v)) {
                    visit(v);
                }
            }
            return components;
        }

        private void visit(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.push(v);
            onStack.add(v);
            for (String w : graph.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                List<String> component = new ArrayList<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                components.add(component);
            }
        }
    }
}
