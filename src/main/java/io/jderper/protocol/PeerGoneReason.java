package io.jderper.protocol;

/** Reason byte of a PeerGone frame. */
public enum PeerGoneReason {
    DISCONNECTED(0x00),
    NOT_HERE(0x01),
    /** Never on the wire: a mesh link broke and everything learned through it is gone. */
    MESH_CONN_BROKE(0xF0),
    OTHER(-1);

    private final int code;

    PeerGoneReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static PeerGoneReason of(int code) {
        return switch (code) {
            case 0x00 -> DISCONNECTED;
            case 0x01 -> NOT_HERE;
            case 0xF0 -> MESH_CONN_BROKE;
            default -> OTHER;
        };
    }
}
