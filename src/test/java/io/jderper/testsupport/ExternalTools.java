package io.jderper.testsupport;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds an external program a test needs. Missing: the test is skipped with a visible reason, unless
 * {@code -Djderper.requireExternalTools=true} (CI), where it fails.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    public static Path require(String executable) {
        Path found = find(executable);
        if (found == null) {
            String msg = "external tool '" + executable + "' not found on PATH (install it, e.g. apt-get install -y "
                    + executable + ")";
            if (Boolean.getBoolean("jderper.requireExternalTools")) {
                throw new AssertionError(msg + "; required because jderper.requireExternalTools=true");
            }
            Assumptions.assumeTrue(false, msg);
        }
        return found;
    }

    private static Path find(String executable) {
        String path = System.getenv("PATH");
        String dirs = (path == null ? "" : path) + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/usr/sbin"
                + File.pathSeparator + "/usr/local/bin";
        for (String dir : dirs.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, executable);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
