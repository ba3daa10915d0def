package io.jderper.admission;

import io.jderper.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Building blocks for the decoder and handshake fuzz properties. */
final class FuzzSupport {
    private FuzzSupport() {
    }

    /** Remembers every buffer it hands out, so a test can prove all of them were released. */
    static final class TrackingAllocator extends AbstractByteBufAllocator {
        private final List<ByteBuf> allocated = new ArrayList<>();

        TrackingAllocator() {
            super(false);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        ByteBuf copy(byte[] bytes) {
            return heapBuffer(bytes.length).writeBytes(bytes);
        }

        List<ByteBuf> unreleased() {
            return allocated.stream().filter(b -> b.refCnt() != 0).toList();
        }
    }

    /** Counts read() requests travelling towards the transport. */
    static final class ReadRequests extends ChannelOutboundHandlerAdapter {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void read(ChannelHandlerContext ctx) {
            count.incrementAndGet();
            ctx.read();
        }
    }

    static byte[] frame(int type, byte[] payload) {
        return ByteBuffer.allocate(5 + payload.length).put((byte) type).putInt(payload.length).put(payload).array();
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** Cuts {@code data} at the given points (taken modulo its length, sorted, duplicates kept as empty chunks). */
    static List<byte[]> split(byte[] data, List<Integer> cuts) {
        int[] at = cuts.stream().mapToInt(c -> data.length == 0 ? 0 : Math.floorMod(c, data.length + 1)).sorted().toArray();
        List<byte[]> chunks = new ArrayList<>();
        int prev = 0;
        for (int c : at) {
            chunks.add(Arrays.copyOfRange(data, prev, c));
            prev = c;
        }
        chunks.add(Arrays.copyOfRange(data, prev, data.length));
        return chunks;
    }

    /** Flips, overwrites, deletes and inserts bytes at positions chosen by {@code edits} ({position, value} pairs). */
    static byte[] mutate(byte[] data, List<int[]> edits) {
        byte[] m = data.clone();
        for (int[] e : edits) {
            if (m.length == 0) {
                break;
            }
            int pos = Math.floorMod(e[0], m.length);
            switch (Math.floorMod(e[1], 4)) {
                case 0 -> m[pos] ^= (byte) (1 << Math.floorMod(e[1] >> 2, 8));
                case 1 -> m[pos] = (byte) (e[1] >> 2);
                case 2 -> {
                    byte[] shorter = new byte[m.length - 1];
                    System.arraycopy(m, 0, shorter, 0, pos);
                    System.arraycopy(m, pos + 1, shorter, pos, m.length - pos - 1);
                    m = shorter;
                }
                default -> {
                    byte[] longer = new byte[m.length + 1];
                    System.arraycopy(m, 0, longer, 0, pos);
                    longer[pos] = (byte) (e[1] >> 2);
                    System.arraycopy(m, pos, longer, pos + 1, m.length - pos);
                    m = longer;
                }
            }
        }
        return m;
    }

    /** A comparable description of a decoded frame (records holding arrays compare by identity). */
    static String describe(Frame f) {
        if (f instanceof Frame.PacketFrame p) {
            return f.getClass().getSimpleName() + ":" + ByteBufUtil.hexDump(p.frame());
        }
        if (f instanceof Frame.ClientInfo ci) {
            return "ClientInfo:" + ci.clientKey() + ":" + ByteBufUtil.hexDump(ci.sealed());
        }
        if (f instanceof Frame.ServerInfo si) {
            return "ServerInfo:" + ByteBufUtil.hexDump(si.sealed());
        }
        if (f instanceof Frame.PeerPresent pp) {
            return "PeerPresent:" + pp.peer() + ":" + ByteBufUtil.hexDump(pp.ip16()) + ":" + pp.port() + ":" + pp.flags();
        }
        return f.toString();
    }
}
