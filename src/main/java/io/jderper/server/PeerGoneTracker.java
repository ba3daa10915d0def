package io.jderper.server;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

import java.util.HashSet;
import java.util.Set;

/**
 * The sources one receiver has been written packets from, so that it hears PeerGone(Disconnected) when one of them
 * leaves the region. A source is subscribed to in the registry the first time a packet from it is written here; the
 * last source is cached, so a steady flow from one sender costs one 32-byte comparison per packet and no allocation.
 * Confined to the receiver's event loop.
 */
final class PeerGoneTracker {
    private final ClientConnection owner;
    private final ClientRegistry registry;
    private final EventLoop loop;

    // Allocated on the first packet written: most connections of a large fleet never receive.
    private NodeKeyProbe scratch;
    private NodeKeyProbe lastSource;
    private boolean lastSourceValid;
    private Set<NodePublicKey> receivedFrom;

    PeerGoneTracker(ClientConnection owner, ClientRegistry registry, EventLoop loop) {
        this.owner = owner;
        this.registry = registry;
        this.loop = loop;
    }

    /** Notes the source key at {@code sourceIndex} of a RecvPacket frame about to be written. */
    void noteSource(ByteBuf f, int sourceIndex) {
        assert loop.inEventLoop();
        NodeKeyProbe current = scratch;
        if (current == null) {
            scratch = current = new NodeKeyProbe();
            lastSource = new NodeKeyProbe();
        }
        current.fill(f, sourceIndex);
        if (lastSourceValid && lastSource.equals(current)) {
            return;
        }
        if (receivedFrom == null) {
            receivedFrom = new HashSet<>();
        }
        if (!receivedFrom.contains(current)) {
            NodePublicKey source = current.freeze();
            receivedFrom.add(source);
            registry.subscribePeerGone(source, owner);
        }
        lastSource.fill(f, sourceIndex);
        lastSourceValid = true;
    }

    /** {@code peer} is gone and the receiver is being told: a later packet from it subscribes afresh. */
    void forget(NodePublicKey peer) {
        assert loop.inEventLoop();
        if (receivedFrom != null) {
            receivedFrom.remove(peer);
            if (lastSourceValid && lastSource.equals(peer)) {
                lastSourceValid = false;
            }
        }
    }

    /** The receiver closed: drops every subscription it holds. */
    void unsubscribeAll() {
        assert loop.inEventLoop();
        if (receivedFrom != null) {
            for (NodePublicKey source : receivedFrom) {
                registry.unsubscribePeerGone(source, owner);
            }
            receivedFrom = null;
        }
    }
}
