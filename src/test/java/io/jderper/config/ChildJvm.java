package io.jderper.config;

import io.jderper.testsupport.LoopbackArgs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real main class in a child JVM, as an operator runs it: its exit code and everything it printed. */
final class ChildJvm {
    private ChildJvm() {
    }

    record Result(int code, String output) {
        List<String> lines() {
            return output.lines().toList();
        }
    }

    /** Every run listens on loopback and ephemeral ports only, whatever else the arguments set. */
    static List<String> loopbackArgs(Path keyFile) {
        return List.of(LoopbackArgs.with(keyFile));
    }

    static Result run(Path workDir, Map<String, String> env, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.jderper.JderperApplication"));
        command.addAll(args);
        Path log = Files.createTempFile(workDir, "jderper-run", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("DERPER_"));
        builder.environment().putAll(env);
        Process p = builder.start();
        // A configuration that wrongly starts would run on: it is stopped, and the output shows how far it got.
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (!ended) {
            throw new AssertionError("still running after 120 s:\n" + output);
        }
        return new Result(p.exitValue(), output);
    }
}
