package io.jderper.testsupport;

import io.jderper.key.MeshKey;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DerpServer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A whole jderper on loopback with ephemeral ports, shared by the conformance tests (Spring caches the context).
 * Metric assertions use deltas because tests share the server.
 */
@TestPropertySource(properties = {
        "derper.hostname=derp.test",
        "derper.relay.drain-period=0s",
        "derper.relay.restart-reconnect-in=0s",
        // Short, so every shared-context test also runs with RTT sampling timers on its connections.
        "derper.relay.tcp-rtt-interval=200ms",
        "derper.mesh.key=" + DerpServerTestBase.MESH_KEY_HEX,
})
public abstract class DerpServerTestBase extends LoopbackServerBase {
    public static final String MESH_KEY_HEX = "5f3b1e9a0c7d24e68a1f0b3c5d7e9f1023456789abcdef0123456789abcdef01";
    public static final MeshKey MESH_KEY = MeshKey.parse(MESH_KEY_HEX);

    private static final Path KEY_FILE;

    static {
        try {
            KEY_FILE = Files.createTempDirectory("jderper-test").resolve("derper.key");
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void keyFile(DynamicPropertyRegistry registry) {
        registry.add("derper.key-file", KEY_FILE::toString);
    }

    @Autowired
    protected DerpServer server;
    @Autowired
    protected DerpMetrics metrics;
}
