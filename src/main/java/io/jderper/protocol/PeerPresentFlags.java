package io.jderper.protocol;

/** Flag bits of a PeerPresent frame (derp-protocol.md §8.4). */
public final class PeerPresentFlags {
    public static final int IS_REGULAR = 0x01;
    public static final int IS_MESH_PEER = 0x02;
    public static final int IS_PROBER = 0x04;
    public static final int NOT_IDEAL = 0x08;

    private PeerPresentFlags() {
    }

    /** IsRegular is set only when no other bit applies. */
    public static int of(boolean meshPeer, boolean prober, boolean notIdeal) {
        int flags = (meshPeer ? IS_MESH_PEER : 0) | (prober ? IS_PROBER : 0) | (notIdeal ? NOT_IDEAL : 0);
        return flags == 0 ? IS_REGULAR : flags;
    }
}
