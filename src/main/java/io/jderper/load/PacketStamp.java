package io.jderper.load;

import io.netty.buffer.ByteBuf;

/**
 * The first bytes of every generated packet: a marker, the pair number, a sequence number and the send time
 * ({@link System#nanoTime()} of the generating process, which is also the receiving one). The rest of the packet is
 * whatever the pooled buffer held: its contents do not matter to the relay, and not filling it keeps the generator
 * cheap.
 */
final class PacketStamp {
    static final int MARKER = 0x4a444c44; // "JDLD": never the start of a disco message
    static final int LENGTH = 4 + 4 + 8 + 8;

    private PacketStamp() {
    }

    static void write(ByteBuf b, int index, int pair, long seq, long nanos) {
        b.setInt(index, MARKER);
        b.setInt(index + 4, pair);
        b.setLong(index + 8, seq);
        b.setLong(index + 16, nanos);
    }

    static boolean valid(ByteBuf b, int index, int length) {
        return length >= LENGTH && b.getInt(index) == MARKER;
    }

    static int pair(ByteBuf b, int index) {
        return b.getInt(index + 4);
    }

    static long nanos(ByteBuf b, int index) {
        return b.getLong(index + 16);
    }
}
