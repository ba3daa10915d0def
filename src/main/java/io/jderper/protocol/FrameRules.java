package io.jderper.protocol;

/**
 * What one side of a connection accepts (derp-protocol.md §6, §11): the frame that must come first, a length rule
 * for each type it acts on, and a cap on any frame's length. Types without a rule are skipped unread.
 */
final class FrameRules {

    /** What a frame whose length is outside its rule's range does to the connection. */
    enum OutOfRange {
        /** A protocol violation: the connection is closed. */
        REJECT,
        /** Tolerated: the frame is skipped like one of a type this side ignores. */
        SKIP
    }

    record Rule(long min, long max, OutOfRange outOfRange) {
        boolean fits(long length) {
            return length >= min && length <= max;
        }

        String expected() {
            return min == max ? "exactly " + min : min + ".." + max;
        }
    }

    private static final long UNBOUNDED = 0xFFFF_FFFFL;

    private final int firstType;
    private final long maxFrameLength;
    private final String maxFrameText;
    private final Rule[] byType = new Rule[256];

    private FrameRules(int firstType, long maxFrameLength, String maxFrameText) {
        this.firstType = firstType;
        this.maxFrameLength = maxFrameLength;
        this.maxFrameText = maxFrameText;
    }

    /** Frames a server reads from clients and mesh peers. */
    static FrameRules server() {
        int key = FrameType.KEY_LENGTH;
        return new FrameRules(FrameType.CLIENT_INFO, UNBOUNDED, "")
                .reject(FrameType.CLIENT_INFO, FrameType.MIN_CLIENT_INFO, FrameType.MAX_CLIENT_INFO)
                .reject(FrameType.SEND_PACKET, key, key + FrameType.MAX_PACKET_SIZE)
                .reject(FrameType.FORWARD_PACKET, 2 * key, 2 * key + FrameType.MAX_PACKET_SIZE)
                .reject(FrameType.NOTE_PREFERRED, 1, 1)
                .reject(FrameType.WATCH_CONNS, 0, 0)
                .reject(FrameType.CLOSE_PEER, key, key)
                .reject(FrameType.PING, FrameType.PING_DATA, FrameType.MAX_PING);
    }

    /** Frames a client reads from a server: a known frame too short to read is skipped, as Go clients do. */
    static FrameRules client() {
        int key = FrameType.KEY_LENGTH;
        long max = FrameType.MAX_CLIENT_FRAME;
        return new FrameRules(FrameType.SERVER_KEY, max, "the 1 MiB limit")
                .reject(FrameType.SERVER_KEY, FrameType.MAGIC.length + key, 1024)
                .skip(FrameType.SERVER_INFO, 24, max)
                .skip(FrameType.RECV_PACKET, key, max)
                .skip(FrameType.PEER_GONE, key, max)
                .skip(FrameType.PEER_PRESENT, key, max)
                .skip(FrameType.PING, 8, max)
                .skip(FrameType.PONG, 8, max)
                .skip(FrameType.RESTARTING, 8, max)
                .skip(FrameType.KEEP_ALIVE, 0, max)
                .skip(FrameType.HEALTH, 0, max);
    }

    private FrameRules reject(int type, long min, long max) {
        byType[type] = new Rule(min, max, OutOfRange.REJECT);
        return this;
    }

    private FrameRules skip(int type, long min, long max) {
        byType[type] = new Rule(min, max, OutOfRange.SKIP);
        return this;
    }

    /**
     * True when the frame is to be read whole and emitted, false when it is to be skipped.
     *
     * @throws MalformedFrameException when the frame breaks a rule
     */
    boolean accepts(int type, long length, boolean first) {
        if (length > maxFrameLength) {
            throw new MalformedFrameException(type, "frame of " + length + " bytes exceeds " + maxFrameText);
        }
        if (first && type != firstType) {
            throw new MalformedFrameException(type, "first frame must be " + FrameType.name(firstType));
        }
        Rule rule = byType[type];
        if (rule == null) {
            return false;
        }
        if (rule.fits(length)) {
            return true;
        }
        if (first || rule.outOfRange() == OutOfRange.REJECT) {
            throw new MalformedFrameException(type, "payload length must be " + rule.expected() + " bytes, got " + length);
        }
        return false;
    }
}
