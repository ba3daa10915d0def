package io.jderper.testsupport;

import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

    /** A ClientInfo frame from {@code client}: its public key, then {@code json} sealed to {@code server}. */
    public static byte[] clientInfo(NodePrivateKey client, NodePublicKey server, String json) {
        byte[] sealed = NaclBox.between(client, server).seal(json.getBytes(StandardCharsets.UTF_8));
        byte[] info = new byte[32 + sealed.length];
        System.arraycopy(client.publicKey().toBytes(), 0, info, 0, 32);
        System.arraycopy(sealed, 0, info, 32, sealed.length);
        return frame(FrameType.CLIENT_INFO, info);
    }

    /** Between {@code min} and {@code max} random bytes. */
    public static Arbitrary<byte[]> bytes(int min, int max) {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(min).ofMaxSize(max);
    }

    /** {@code type} frames carrying {@code min} to {@code max} random bytes. */
    public static Arbitrary<byte[]> frames(int type, int min, int max) {
        return bytes(min, max).map(p -> frame(type, p));
    }

    /** Frames of the types above the highest the protocol defines, carrying up to {@code maxPayload} random bytes. */
    /**
     * The frames a client may send once registered, each well formed in its header but with any payload, plus
     * frames of unknown types: packet payloads up to {@code maxPacket} bytes, pings up to {@code maxPing}.
     */
    public static Arbitrary<byte[]> clientFrames(int maxPacket, int maxPing, int maxUnknown) {
        return Arbitraries.oneOf(
                frames(FrameType.SEND_PACKET, 32, maxPacket),
                frames(FrameType.FORWARD_PACKET, 64, maxPacket),
                frames(FrameType.NOTE_PREFERRED, 1, 1),
                Arbitraries.just(frame(FrameType.WATCH_CONNS, new byte[0])),
                frames(FrameType.CLOSE_PEER, 32, 32),
                frames(FrameType.PING, 8, maxPing),
                frames(FrameType.KEEP_ALIVE, 0, maxPing),
                unknownFrames(maxUnknown));
    }

    public static Arbitrary<byte[]> unknownFrames(int maxPayload) {
        return Combinators.combine(Arbitraries.integers().between(FrameType.RESTARTING + 1, 0xff), bytes(0, maxPayload))
                .as(FuzzSupport::frame);
    }

    /** One to {@code max} {position, operation} pairs for {@link #mutate}. */
    public static Arbitrary<List<int[]>> edits(int max) {
        return Combinators.combine(Arbitraries.integers(), Arbitraries.integers().between(0, 1 << 12))
                .as((pos, op) -> new int[] {pos, op}).list().ofMinSize(1).ofMaxSize(max);
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
