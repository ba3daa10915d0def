package io.jderper.admission;

import io.jderper.testsupport.DerpServerTestBase;
import io.jderper.testsupport.LoopbackServerBase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * Tests that run their own server context with small limits: loopback, ephemeral ports, no STUN, no port 80, the test
 * mesh key. Subclasses add their own properties with {@code @TestPropertySource}, which win over these.
 */
@TestPropertySource(properties = {
        "derper.stun.enabled=false",
        "derper.hostname=derp.test",
        "derper.relay.drain-period=0s",
        "derper.mesh.key=" + DerpServerTestBase.MESH_KEY_HEX,
})
abstract class GuardedServerBase extends LoopbackServerBase {
    @Autowired
    protected MeterRegistry registry;

    /**
     * The counter once it reached {@code atLeast}, or its value after about two seconds: the server may count a
     * client's error a moment after the close has reached the client.
     */
    protected double countOnceAtLeast(double atLeast, String name, String... tags) throws InterruptedException {
        for (int i = 0; i < 200 && count(name, tags) < atLeast; i++) {
            Thread.sleep(10);
        }
        return count(name, tags);
    }

    protected double count(String name, String... tags) {
        Search s = registry.find(name);
        if (tags.length > 0) {
            s = s.tags(tags);
        }
        if (s.functionCounter() != null) {
            return s.functionCounter().count();
        }
        if (s.counter() != null) {
            return s.counter().count();
        }
        if (s.gauge() != null) {
            return s.gauge().value();
        }
        throw new AssertionError("no meter " + name);
    }

    protected Socket open() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port()), 2000);
        return s;
    }

    /** Reads until EOF or reset; returns the number of bytes received, or -1 when still open after {@code millis}. */
    protected static int drainUntilClosed(Socket s, int millis) throws IOException {
        s.setSoTimeout(millis);
        InputStream in = s.getInputStream();
        int total = 0;
        byte[] buf = new byte[4096];
        try {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return total;
                }
                total += n;
            }
        } catch (SocketTimeoutException e) {
            return -1;
        } catch (SocketException e) {
            return total;
        }
    }
}
