package io.jderper.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Building blocks for the fuzz properties and the hostile-client tests: raw frames, byte streams cut and mutated at
 * chosen points, and an allocator that proves every buffer it handed out was released.
 */
public final class FuzzSupport {
    private FuzzSupport() {
    }

    /** Remembers every buffer it hands out, so a test can prove all of them were released. */
    public static final class TrackingAllocator extends AbstractByteBufAllocator {
        private final List<ByteBuf> allocated = new ArrayList<>();

        public TrackingAllocator() {
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

        public ByteBuf copy(byte[] bytes) {
            return heapBuffer(bytes.length).writeBytes(bytes);
        }

        public List<ByteBuf> unreleased() {
            return allocated.stream().filter(b -> b.refCnt() != 0).toList();
        }
    }

    public static byte[] frame(int type, byte[] payload) {
        return ByteBuffer.allocate(5 + payload.length).put((byte) type).putInt(payload.length).put(payload).array();
    }

    public static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** Cuts {@code data} at the given points (taken modulo its length, sorted, duplicates kept as empty chunks). */
    public static List<byte[]> split(byte[] data, List<Integer> cuts) {
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
    public static byte[] mutate(byte[] data, List<int[]> edits) {
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
}
