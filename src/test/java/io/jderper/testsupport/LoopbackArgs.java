package io.jderper.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The original's command line for a server on loopback and ephemeral ports only, for tests that start one. */
public final class LoopbackArgs {
    private LoopbackArgs() {
    }

    /**
     * DERP on 127.0.0.1:0, no port-80 listener, STUN on an ephemeral port, the server key in {@code keyFile}, the
     * management server on an ephemeral port of 127.0.0.1; then {@code more} (a repeated flag's last value wins).
     */
    public static String[] with(Path keyFile, String... more) {
        List<String> args = new ArrayList<>(List.of("-a", "127.0.0.1:0", "-http-port", "-1", "-stun-port", "0",
                "-c", keyFile.toString(), "--management.server.port=0", "--management.server.address=127.0.0.1"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }
}
