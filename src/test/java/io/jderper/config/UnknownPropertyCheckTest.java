package io.jderper.config;

import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class UnknownPropertyCheckTest {
    private final UnknownPropertyCheck check = new UnknownPropertyCheck(PropertyCatalog.current());

    private static StandardEnvironment environment(Map<String, Object> properties, Map<String, Object> variables) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        env.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        env.getPropertySources().addLast(new MapPropertySource("application.yml", properties));
        env.getPropertySources().addLast(new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
        return env;
    }

    private StartupFailure failure(StandardEnvironment env) {
        return catchThrowableOfType(StartupFailure.class, () -> check.check(env));
    }

    @Test
    void misspeltCommandLinePropertyNamesTheNearestValidOne() {
        StandardEnvironment env = environment(Map.of(), Map.of());
        env.getPropertySources().addFirst(new SimpleCommandLinePropertySource("--derper.relay.drain-perod=5s"));
        StartupFailure f = failure(env);
        assertThat(f.property()).isEqualTo("derper.relay.drain-perod");
        assertThat(f.value()).as("values are left out: a misspelt key would be printed").isNull();
        assertThat(f.problem()).startsWith("not a known property; did you mean derper.relay.drain-period?")
                .contains("commandLineArgs");
        FailureAnalysis report = new StartupFailureAnalyzer(env).analyze(new IllegalStateException("wrapped", f));
        assertThat(report.getDescription()).isEqualTo("derper.relay.drain-perod: " + f.problem());
    }

    @Test
    void everyFormSpringBindsIsAccepted() {
        StandardEnvironment env = environment(Map.of(
                        "derper.relay.drain-period", "5s",
                        "derper.relay.drainPeriod", "5s",
                        "derper.mesh.with[0]", "a.example",
                        "derper.tls.acme.eab-kid", "k",
                        "derper.mesh", "",
                        "management.server.port", "0",
                        "derperx.other", "not ours"),
                Map.of("DERPER_MESH_KEYFILE", "/k", "DERPER_MESH_KEY_FILE", "/k", "DERPER_MESH_WITH_0", "a",
                        "DERPER_TLS_ACME_EABKID", "k", "PATH", "/bin", "TAILSCALE_DERPER_MESH_KEY", "x"));
        assertThatCode(() -> check.check(env)).doesNotThrowAnyException();
    }

    @Test
    void misspeltNamesInFilesAndTheEnvironmentAreAllListed() {
        StartupFailure f = failure(environment(Map.of("derper.stun.prot", "3478"),
                Map.of("DERPER_RELAY_DRAIN_PEROD", "5s")));
        assertThat(f.problem()).contains("did you mean derper.stun.port?")
                .contains("DERPER_RELAY_DRAIN_PEROD: not a known property; did you mean derper.relay.drain-period?")
                .contains("application.yml").contains("systemEnvironment");
    }

    @Test
    void aNameFarFromEveryPropertyGetsNoSuggestion() {
        StartupFailure f = failure(environment(Map.of("derper.completely-unrelated-setting", "1"), Map.of()));
        assertThat(f.problem()).startsWith("not a known property; no property has a similar name");
    }

    @Test
    void nearestNameIsByEditDistance() {
        assertThat(PropertyCatalog.editDistance("drain-perod", "drain-period")).isEqualTo(1);
        assertThat(PropertyCatalog.editDistance("", "abc")).isEqualTo(3);
        assertThat(PropertyCatalog.editDistance("kitten", "sitting")).isEqualTo(3);
        assertThat(PropertyCatalog.current().closest("derper.tls.mdoe")).contains("derper.tls.mode");
        assertThat(PropertyCatalog.current().closest("derper.verify.client-ulr")).contains("derper.verify.client-url");
    }

    @Test
    void aBuildWithoutMetadataChecksNothing() {
        UnknownPropertyCheck blind = new UnknownPropertyCheck(new PropertyCatalog(Map.of()));
        assertThatCode(() -> blind.check(environment(Map.of("derper.nonsense", "1"), Map.of())))
                .doesNotThrowAnyException();
    }
}
