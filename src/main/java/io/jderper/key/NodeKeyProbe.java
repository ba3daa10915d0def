package io.jderper.key;

import io.netty.buffer.ByteBuf;

/**
 * A mutable key used only as a lookup argument: filled from a frame in place, compared equal to the
 * {@link NodePublicKey} with the same bits. Confined to one thread (one per event loop), never stored in a map.
 */
public final class NodeKeyProbe extends Key32 {

    public NodeKeyProbe fill(ByteBuf buf, int index) {
        load(buf, index);
        return this;
    }

    /** An immutable copy, for when the probed key has to be kept. */
    public NodePublicKey freeze() {
        return NodePublicKey.copyOf(this);
    }
}
