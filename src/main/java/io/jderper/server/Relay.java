package io.jderper.server;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.netty.buffer.ByteBuf;

/**
 * The packet path: from a received SendPacket or ForwardPacket frame to the destination's queue, a mesh link, or a
 * counted drop. The received frame is turned into the outgoing RecvPacket in place — same buffer, same payload
 * bytes — so relaying never copies a packet.
 */
final class Relay {
    private static final int HEADER = FrameType.HEADER_LENGTH;
    private static final int KEY = FrameType.KEY_LENGTH;

    private final ClientRegistry registry;
    private final DerpMetrics metrics;

    Relay(ClientRegistry registry, DerpMetrics metrics) {
        this.registry = registry;
        this.metrics = metrics;
    }

    /** A local client sent a packet. Takes ownership of the frame. */
    void route(ClientConnection src, Frame.SendPacket packet) {
        ByteBuf frame = packet.frame();
        int length = packet.packetLength();
        boolean disco = packet.isDisco();
        metrics.packetsReceived.increment();
        metrics.bytesReceived.add(length);
        src.noteReceived(length);
        (disco ? metrics.packetsReceivedDisco : metrics.packetsReceivedOther).increment();

        NodeKeyProbe dst = packet.destination(src.sendProbe());
        PeerEntry entry = registry.lookup(dst);
        if (entry != null) {
            ClientConnection local = entry.active;
            if (local != null) {
                local.enqueue(toRecvPacket(frame, src.key()), disco);
                return;
            }
            PacketForwarder forwarder = entry.forwarder;
            if (forwarder != null) {
                metrics.packetsForwardedOut.increment();
                forwarder.forward(src.key(), frame);
                return;
            }
        }
        metrics.dropped(DropReason.UNKNOWN_DEST, disco, length);
        frame.release();
        if (disco) {
            src.notHere(dst);
        }
    }

    /** A mesh peer forwarded a packet: deliver locally or drop; never forward again. Takes ownership. */
    void deliverForwarded(ClientConnection mesh, Frame.ForwardPacket packet) {
        ByteBuf frame = packet.frame();
        int length = packet.packetLength();
        boolean disco = packet.isDisco();
        mesh.noteReceived(length);
        NodeKeyProbe dst = packet.destination(mesh.sendProbe());
        PeerEntry entry = registry.lookup(dst);
        ClientConnection local = entry == null ? null : entry.active;
        int start = frame.readerIndex();
        boolean zeroSource = (frame.getLong(start + HEADER) | frame.getLong(start + HEADER + 8)
                | frame.getLong(start + HEADER + 16) | frame.getLong(start + HEADER + 24)) == 0;
        if (local == null || zeroSource) {
            // A zero source would need the legacy (v0/1) frame layout that current clients mis-parse: drop it.
            metrics.dropped(DropReason.UNKNOWN_DEST_ON_FWD, disco, length);
            frame.release();
            if (disco && local == null) {
                mesh.notHere(dst);
            }
            return;
        }
        metrics.packetsForwardedIn.increment();
        local.enqueue(forwardToRecvPacket(frame, length), disco);
    }

    /** SendPacket {@code 04 len dst packet} becomes RecvPacket {@code 05 len src packet}: same length. */
    static ByteBuf toRecvPacket(ByteBuf frame, NodePublicKey source) {
        ByteBuf f = writable(frame);
        int start = f.readerIndex();
        f.setByte(start, FrameType.RECV_PACKET);
        source.setAt(f, start + HEADER);
        return f;
    }

    /**
     * ForwardPacket {@code 0a len src dst packet} becomes RecvPacket {@code 05 len-32 src packet} by writing a new
     * header and the source key over the 37 bytes just before the packet, then starting the buffer there.
     */
    static ByteBuf forwardToRecvPacket(ByteBuf frame, int packetLength) {
        ByteBuf f = writable(frame);
        int start = f.readerIndex();
        long s0 = f.getLong(start + HEADER);
        long s1 = f.getLong(start + HEADER + 8);
        long s2 = f.getLong(start + HEADER + 16);
        long s3 = f.getLong(start + HEADER + 24);
        int newStart = start + KEY;
        f.setByte(newStart, FrameType.RECV_PACKET);
        f.setInt(newStart + 1, KEY + packetLength);
        f.setLong(newStart + HEADER, s0);
        f.setLong(newStart + HEADER + 8, s1);
        f.setLong(newStart + HEADER + 16, s2);
        f.setLong(newStart + HEADER + 24, s3);
        f.readerIndex(newStart);
        return f;
    }

    private static ByteBuf writable(ByteBuf frame) {
        if (!frame.isReadOnly()) {
            return frame;
        }
        ByteBuf copy = frame.alloc().buffer(frame.readableBytes()).writeBytes(frame);
        frame.release();
        return copy;
    }
}
