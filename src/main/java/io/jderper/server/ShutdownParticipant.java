package io.jderper.server;

import java.util.concurrent.CompletableFuture;

/**
 * A part of the node that {@link ShutdownSequence} tells when its step comes, so that no part shuts itself down in a
 * lifecycle phase of its own. Both callbacks are invoked on the sequence's thread and must not block.
 */
public interface ShutdownParticipant {

    /** The first step, before the readiness grace: stop attracting or generating traffic (readiness, own probes). */
    default void shutdownBegins() {
    }

    /** The last client connection has closed: release what kept serving them. Completes once released. */
    default CompletableFuture<Void> relayDrained() {
        return CompletableFuture.completedFuture(null);
    }

    /** The context was started again after a stop: undo {@link #shutdownBegins()}. */
    default void restarted() {
    }
}
