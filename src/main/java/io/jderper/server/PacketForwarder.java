package io.jderper.server;

import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;

/**
 * A path to a sibling server of the region (one mesh link) that can carry packets for keys connected there.
 */
public interface PacketForwarder {

    /**
     * Sends a packet from {@code src} onwards as a ForwardPacket. Takes ownership of {@code sendPacketFrame}, a complete
     * SendPacket frame (header, destination key, packet bytes). Must not block.
     */
    void forward(NodePublicKey src, ByteBuf sendPacketFrame);

    /** For logs and debug pages. */
    String describe();
}
