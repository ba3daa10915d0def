package io.jderper.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports for tests that must name one before anything binds it, or that need one nothing listens on. */
public final class FreePorts {
    private FreePorts() {
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago (bound and released). */
    public static int loopback() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
