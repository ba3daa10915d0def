package io.jderper.server;

import io.jderper.JderperApplication;
import io.jderper.testsupport.LoopbackArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What keeps Spring from cutting the shutdown sequence short. Spring moves to the next phase once every bean of a
 * phase has called back, counting beans pulled in as dependents too: so the sequence must be alone in its phase and
 * nothing may depend on it. It must stop before the web servers and the management server, and the relay must open
 * before the web server binds.
 */
class ShutdownOrderTest {

    @TempDir
    Path dir;

    @Test
    void theSequenceIsAloneInItsPhaseAheadOfTheListenersAndTheRelayOpensBeforeThem() {
        try (ConfigurableApplicationContext ctx = JderperApplication.start(LoopbackArgs.with(dir.resolve("k.json"),
                "--derper.mesh.key=" + "ab".repeat(32),
                "--derper.probe.enabled=true", "--derper.probe.listen=127.0.0.1:0"))) {
            Map<String, SmartLifecycle> lifecycles = ctx.getBeansOfType(SmartLifecycle.class);
            assertThat(lifecycles).containsKey("shutdownSequence");
            assertThat(lifecycles).as("beans in the shutdown sequence's phase")
                    .allSatisfy((name, bean) -> {
                        if (bean.getPhase() == ShutdownSequence.PHASE) {
                            assertThat(name).isEqualTo("shutdownSequence");
                        }
                    });
            assertThat(ctx.getBeanFactory().getDependentBeans("shutdownSequence")).isEmpty();

            int webServerStart = phaseOf(lifecycles, "WebServerStartStopLifecycle");
            assertThat(ShutdownSequence.PHASE)
                    .isGreaterThan(phaseOf(lifecycles, "WebServerGracefulShutdownLifecycle"))
                    .isGreaterThan(phaseOf(lifecycles, "ChildManagementContextInitializer"))
                    .isGreaterThan(webServerStart);
            assertThat(ctx.getBean(DerpServer.class).getPhase()).isLessThan(webServerStart);
            // Every participant that also has a lifecycle of its own stops after the sequence has told it to.
            ctx.getBeansOfType(ShutdownParticipant.class).values().stream()
                    .filter(SmartLifecycle.class::isInstance)
                    .forEach(p -> assertThat(((SmartLifecycle) p).getPhase()).isLessThan(ShutdownSequence.PHASE));
            assertThat(ctx.getBeansOfType(ShutdownParticipant.class)).hasSizeGreaterThanOrEqualTo(3);
        }
    }

    private static int phaseOf(Map<String, SmartLifecycle> lifecycles, String simpleName) {
        return lifecycles.values().stream().filter(l -> l.getClass().getSimpleName().equals(simpleName))
                .mapToInt(SmartLifecycle::getPhase).findFirst()
                .orElseThrow(() -> new AssertionError("no " + simpleName + " among " + lifecycles.keySet()));
    }
}
