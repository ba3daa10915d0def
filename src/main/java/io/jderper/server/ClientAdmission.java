package io.jderper.server;

import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameDecoder;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a non-mesh client may register, after its ClientInfo opened and before ServerInfo is sent, and
 * attaches per-connection controls (the receive rate limit) once it has registered. Implementations must not block
 * the calling event loop: the decision arrives as a completion stage.
 */
@FunctionalInterface
public interface ClientAdmission {

    /** Outcome; {@code reason} names the rule that denied (a metric label and log word). */
    record Decision(boolean allowed, String reason) {
        public static final Decision ALLOW = new Decision(true, "allowed");

        public static Decision deny(String reason) {
            return new Decision(false, reason);
        }
    }

    ClientAdmission ALLOW_ALL = (key, remote) -> CompletableFuture.completedFuture(Decision.ALLOW);

    CompletionStage<Decision> admit(NodePublicKey key, InetSocketAddress remote);

    /**
     * Called on the event loop when an admitted non-mesh connection registers, before the decoder resumes with the
     * frames that followed ClientInfo. Mesh peers are never passed here (they are exempt from per-client limits).
     */
    default void registered(Channel channel, FrameDecoder decoder) {
    }
}
