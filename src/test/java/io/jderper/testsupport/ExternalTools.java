package io.jderper.testsupport;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests that drive a real external program (pebble, turnutils_stunclient, chromium) skip with a visible reason when it
 * is missing on a developer machine; with {@code -Djderper.requireExternalTools=true} (CI) a missing tool fails.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    public static Path require(String executable) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin:/usr/local/bin").split(":")) {
            Path p = Path.of(dir, executable);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String reason = executable + " is not installed (apt-get install it, or see .ci/run)";
        if (Boolean.getBoolean("jderper.requireExternalTools")) {
            Assertions.fail(reason + "; jderper.requireExternalTools=true forbids skipping");
        }
        Assumptions.assumeTrue(false, reason);
        return null;
    }
}
