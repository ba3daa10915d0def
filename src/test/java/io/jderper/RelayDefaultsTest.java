package io.jderper;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The runtime defaults the jar applies before Netty starts never override what the operator set with -D. */
class RelayDefaultsTest {
    private static final String LOOPS = "reactor.netty.ioWorkerCount";
    private static final String LEAKS = "io.netty.leakDetection.level";
    private static final String JFR = "io.netty.jfr.enabled";
    private static final String LOG_FACTORY = "org.apache.commons.logging.LogFactory";
    private static final List<String> ALL = List.of(LOOPS, LEAKS, JFR, LOG_FACTORY);
    private final Map<String, String> before = new HashMap<>();

    @BeforeEach
    void remember() {
        ALL.forEach(name -> before.put(name, System.getProperty(name)));
    }

    @AfterEach
    void restore() {
        before.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    @Test
    void explicitSettingsWin() {
        System.setProperty(LOOPS, "3");
        System.setProperty(LEAKS, "paranoid");
        System.setProperty(JFR, "true");
        System.setProperty(LOG_FACTORY, "org.example.OtherLogFactory");
        JderperApplication.relayDefaults();
        assertThat(System.getProperty(LOOPS)).isEqualTo("3");
        assertThat(System.getProperty(LEAKS)).isEqualTo("paranoid");
        assertThat(System.getProperty(JFR)).isEqualTo("true");
        assertThat(System.getProperty(LOG_FACTORY)).isEqualTo("org.example.OtherLogFactory");
    }

    @Test
    void unsetSettingsGetRelayDefaults() {
        ALL.forEach(System::clearProperty);
        JderperApplication.relayDefaults();
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(System.getProperty(LOOPS)).isEqualTo(Integer.toString(Math.max(1, cores / 2)));
        assertThat(System.getProperty(LEAKS)).isEqualTo("disabled");
        assertThat(System.getProperty(JFR)).isEqualTo("false");
        assertThat(System.getProperty(LOG_FACTORY)).isEqualTo("org.apache.commons.logging.impl.Slf4jLogFactory");
    }
}
