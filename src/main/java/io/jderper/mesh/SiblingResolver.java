package io.jderper.mesh;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Non-blocking name lookups for the mesh: the addresses behind a headless-service name (DNS discovery) and the host a
 * link dials. A bean of this type, if present, replaces the default resolver (tests use a fake).
 */
public interface SiblingResolver extends AutoCloseable {

    /** A and AAAA answers for {@code name} (hosts file first); fails when the name does not resolve. */
    CompletableFuture<List<InetAddress>> resolve(String name);

    @Override
    default void close() {
    }
}
