package io.jderper.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failed start, as the operator sees it: the real main class in a child JVM, whose whole output must fit the first
 * screen (no stack frame) and name the property, its flag and the value at fault, and say what is allowed.
 */
class StartupFailureTest {
    @TempDir
    Path dir;

    private ChildJvm.Result start(Map<String, String> env, String... args) throws Exception {
        List<String> all = new ArrayList<>(ChildJvm.loopbackArgs(dir.resolve("derper.json")));
        all.addAll(List.of(args));
        return ChildJvm.run(dir, env, all);
    }

    private static void assertShortReport(ChildJvm.Result r) {
        assertThat(r.code()).as(r.output()).isEqualTo(1);
        assertThat(r.lines()).as(r.output()).hasSizeLessThanOrEqualTo(16);
        assertThat(r.output()).as(r.output())
                .contains("APPLICATION FAILED TO START")
                .doesNotContain("\tat ", "Caused by", "Exception encountered during context initialization",
                        "Unable to start reactive web server", "condition evaluation report");
    }

    @Test
    void aNamedTransportThatCannotLoadStopsStartupNamingThePropertyAndTheCause() throws Exception {
        // Netty's switch that refuses every native transport stands in for a kernel or seccomp that forbids io_uring.
        ChildJvm.Result r = start(Map.of("JAVA_TOOL_OPTIONS", "-Dio.netty.transport.noNative=true"),
                "--derper.transport=io_uring");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.transport").contains("io_uring is unavailable here")
                .contains("noNative").contains("use auto to fall back");
    }

    @Test
    void missingMeshKeyFileNamesTheFlagTheFileAndHowToMakeOne() throws Exception {
        ChildJvm.Result r = start(Map.of(), "-mesh-psk-file", "mesh.key");
        assertShortReport(r);
        assertThat(r.output())
                .contains("derper.mesh.key-file (flag -mesh-psk-file) is \"mesh.key\"")
                .contains("no such file (" + dir.toRealPath().resolve("mesh.key") + ")")
                .contains("openssl rand -hex 32 > mesh.key");
    }

    @Test
    void meshKeyFileThatIsNotHexNamesTheFlagButNotTheKey() throws Exception {
        Files.writeString(dir.resolve("mesh.key"), "not-a-key\n");
        ChildJvm.Result r = start(Map.of(), "-mesh-psk-file", "mesh.key");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.mesh.key-file (flag -mesh-psk-file) is \"mesh.key\"").contains("64 hex")
                .doesNotContain("not-a-key");
    }

    @Test
    void missingRateConfigNamesTheFlagAndTheFile() throws Exception {
        ChildJvm.Result r = start(Map.of(), "-rate-config", "limits.json");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.limits.rate-config (flag -rate-config) is \"limits.json\"")
                .contains("no such file");
    }

    @Test
    void missingManualCertificateNamesTheModeTheFileAndTheDirectory() throws Exception {
        Path certs = Files.createDirectory(dir.resolve("certs"));
        ChildJvm.Result r = start(Map.of(), "-certmode", "manual", "-certdir", certs.toString(), "-hostname", "derp.test");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.tls.mode (flag -certmode) is \"manual\"")
                .contains(certs.resolve("derp.test.crt").toString())
                .contains("Expected: directory of the manual certificates");
    }

    @Test
    void badListenAddressNamesTheFlagAndTheAllowedForms() throws Exception {
        ChildJvm.Result r = start(Map.of(), "-a", "443");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.listen (flag -a) is \"443\": must be ':port', 'ip:port' or '[ipv6]:port'");
    }

    @Test
    void badDurationPropertyNamesThePropertyTheValueAndTheSyntax() throws Exception {
        ChildJvm.Result r = start(Map.of(), "--derper.relay.drain-period=5x");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.relay.drain-period is \"5x\"").contains("not a duration")
                .contains("500ms, 10s, 5m or 1h");
    }

    @Test
    void badDurationFlagIsOneLineWithGoSyntax() throws Exception {
        ChildJvm.Result r = start(Map.of(), "-tcp-user-timeout", "5sec");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.lines()).containsExactly("jderper: invalid value \"5sec\" for flag -tcp-user-timeout: "
                + "time: invalid duration \"5sec\" (a Go duration such as 15s, 10m, 1h30m)");
    }

    @Test
    void misspeltPropertyOnTheCommandLineNamesTheNearestOne() throws Exception {
        ChildJvm.Result r = start(Map.of(), "--derper.relay.drain-perod=5s");
        assertShortReport(r);
        assertThat(r.output()).contains("derper.relay.drain-perod: not a known property; did you mean derper.relay.drain-period?");
    }

    @Test
    void misspeltPropertyInTheEnvironmentAndInApplicationYml() throws Exception {
        Files.writeString(dir.resolve("application.yml"), "derper:\n  relay:\n    drain-perod: 5s\n");
        ChildJvm.Result r = start(Map.of("DERPER_MESH_KEYFIEL", "mesh.key"));
        assertShortReport(r);
        assertThat(r.output())
                .contains("did you mean derper.relay.drain-period?")
                .contains("application.yml")
                .contains("DERPER_MESH_KEYFIEL")
                .contains("did you mean derper.mesh.key-file?");
    }
}
