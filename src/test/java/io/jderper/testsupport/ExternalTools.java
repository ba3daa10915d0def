package io.jderper.testsupport;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that drive a real external program. Without the program the test is skipped with a
 * visible reason, unless {@code -Djderper.requireExternalTools=true} (CI), where it fails instead.
 */
public final class ExternalTools {

    public static final String REQUIRE_PROPERTY = "jderper.requireExternalTools";

    private ExternalTools() {
    }

    /** Returns the executable's path on {@code PATH}, or skips/fails the calling test. */
    public static Path require(String executable) {
        Path found = find(executable);
        if (found == null) {
            String reason = executable + " is not installed (not found on PATH)";
            if (Boolean.getBoolean(REQUIRE_PROPERTY)) {
                Assertions.fail(reason + " and " + REQUIRE_PROPERTY + "=true");
            }
            Assumptions.assumeTrue(false, reason + "; skipping");
        }
        return found;
    }

    static Path find(String executable) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, executable);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
