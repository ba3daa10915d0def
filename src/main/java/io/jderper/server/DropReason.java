package io.jderper.server;

/** Why a relayed packet was not delivered; the label values of {@code derp_packets_dropped}. */
public enum DropReason {
    UNKNOWN_DEST("unknown_dest"),
    UNKNOWN_DEST_ON_FWD("unknown_dest_on_fwd"),
    GONE_DISCONNECTED("gone_disconnected"),
    QUEUE_HEAD("queue_head"),
    QUEUE_TAIL("queue_tail"),
    WRITE_ERROR("write_error"),
    DUP_CLIENT("dup_client");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
