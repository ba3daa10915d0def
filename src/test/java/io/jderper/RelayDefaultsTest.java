package io.jderper;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The runtime defaults the jar applies before Netty starts never override what the operator set with -D. */
class RelayDefaultsTest {
    private static final String LOOPS = "reactor.netty.ioWorkerCount";
    private static final String LEAKS = "io.netty.leakDetection.level";
    private String loopsBefore;
    private String leaksBefore;

    @BeforeEach
    void remember() {
        loopsBefore = System.getProperty(LOOPS);
        leaksBefore = System.getProperty(LEAKS);
    }

    @AfterEach
    void restore() {
        restore(LOOPS, loopsBefore);
        restore(LEAKS, leaksBefore);
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    @Test
    void explicitSettingsWin() {
        System.setProperty(LOOPS, "3");
        System.setProperty(LEAKS, "paranoid");
        JderperApplication.relayDefaults();
        assertThat(System.getProperty(LOOPS)).isEqualTo("3");
        assertThat(System.getProperty(LEAKS)).isEqualTo("paranoid");
    }

    @Test
    void unsetSettingsGetRelayDefaults() {
        System.clearProperty(LOOPS);
        System.clearProperty(LEAKS);
        JderperApplication.relayDefaults();
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(System.getProperty(LOOPS)).isEqualTo(Integer.toString(Math.max(1, cores / 2)));
        assertThat(System.getProperty(LEAKS)).isEqualTo("disabled");
    }
}
