package io.jderper.server;

import io.jderper.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * The packets waiting for one connection and the writer that drains them. {@link #enqueue} and {@link #dropQueued}
 * may run on any thread (other connections hand packets over through two bounded lock-free queues, disco and other);
 * everything else runs on the connection's event loop. A drain writes while the channel is writable, alternating the
 * two kinds, and flushes once; a channel that stays unwritable past the write timeout is closed.
 */
final class ConnectionOutbox {
    private static final AtomicReferenceFieldUpdater<ConnectionOutbox, PacketQueue> DATA_QUEUE =
            AtomicReferenceFieldUpdater.newUpdater(ConnectionOutbox.class, PacketQueue.class, "dataQueue");
    private static final AtomicReferenceFieldUpdater<ConnectionOutbox, PacketQueue> DISCO_QUEUE =
            AtomicReferenceFieldUpdater.newUpdater(ConnectionOutbox.class, PacketQueue.class, "discoQueue");
    private static final AtomicIntegerFieldUpdater<ConnectionOutbox> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ConnectionOutbox.class, "drainScheduled");
    private static final int RECV_OVERHEAD = FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH;
    private static final VarHandle PAYLOAD_SENT;

    static {
        try {
            PAYLOAD_SENT = MethodHandles.lookup().findVarHandle(ConnectionOutbox.class, "payloadSent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ClientConnection owner;
    private final RelayContext relay;
    private final ChannelHandlerContext ctx;
    private final EventLoop loop;
    private final PeerGoneTracker peerGone;
    private final boolean meshPeer;

    // Allocated on first use: most connections of a large fleet are idle and never receive.
    private volatile PacketQueue dataQueue;
    private volatile PacketQueue discoQueue;
    private volatile int drainScheduled;
    private final Runnable drainTask = this::drain;

    // Written only on the event loop (opaque stores: a plain move, no fence); read by /debug/traffic from elsewhere.
    private long payloadSent;

    // Event-loop confined state.
    private boolean discoTurn;
    private final long[] enqueuedAt = new long[1];
    private ScheduledFuture<?> writeTimeout;

    ConnectionOutbox(ClientConnection owner, RelayContext relay, ChannelHandlerContext ctx, EventLoop loop,
                     PeerGoneTracker peerGone, boolean meshPeer) {
        this.owner = owner;
        this.relay = relay;
        this.ctx = ctx;
        this.loop = loop;
        this.peerGone = peerGone;
        this.meshPeer = meshPeer;
    }

    /** Packet payload bytes written so far. Any thread. */
    long payloadBytesSent() {
        return (long) PAYLOAD_SENT.getOpaque(this);
    }

    /**
     * Hands over a RecvPacket frame (ownership passes here). Never blocks: a full queue loses its oldest packet,
     * and after three tries the new one, as the original's drop policy does. Any thread.
     */
    void enqueue(ByteBuf recvFrame, boolean disco) {
        if (owner.isClosing()) {
            drop(recvFrame, DropReason.GONE_DISCONNECTED, disco);
            return;
        }
        PacketQueue q = disco ? queue(DISCO_QUEUE) : queue(DATA_QUEUE);
        long now = System.nanoTime();
        boolean queued = q.offer(recvFrame, now);
        if (!queued && loop.inEventLoop()) {
            // The sender shares this connection's thread, so the scheduled drain cannot run before the sender's whole
            // read is processed: one read after a stall can hold more packets than the queue. Write them out now
            // rather than lose them to a burst; a receiver that really is slow stays unwritable and still drops.
            drain();
            queued = q.offer(recvFrame, now);
        }
        for (int attempt = 0; attempt < 3 && !queued; attempt++) {
            if (q.offer(recvFrame, now)) {
                queued = true;
            } else {
                ByteBuf oldest = q.poll(null);
                if (oldest != null) {
                    drop(oldest, DropReason.QUEUE_HEAD, disco);
                }
            }
        }
        if (!queued) {
            drop(recvFrame, DropReason.QUEUE_TAIL, disco);
            return;
        }
        if (owner.isClosing()) {
            // Lost the race with the connection's close: nobody will drain, so clean up here.
            dropQueued();
            return;
        }
        if (DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) {
            loop.execute(drainTask);
        }
    }

    private PacketQueue queue(AtomicReferenceFieldUpdater<ConnectionOutbox, PacketQueue> field) {
        PacketQueue q = field.get(this);
        if (q == null) {
            PacketQueue fresh = new PacketQueue(relay.relayProperties().sendQueueDepth());
            q = field.compareAndSet(this, null, fresh) ? fresh : field.get(this);
        }
        return q;
    }

    private void drop(ByteBuf recvFrame, DropReason reason, boolean disco) {
        relay.metrics().dropped(reason, disco, recvFrame.readableBytes() - RECV_OVERHEAD);
        recvFrame.release();
    }

    /** Drops and counts everything queued (the connection is gone). Any thread. */
    void dropQueued() {
        dropAll(dataQueue, false);
        dropAll(discoQueue, true);
    }

    private void dropAll(PacketQueue q, boolean disco) {
        if (q == null) {
            return;
        }
        ByteBuf f;
        while ((f = q.poll(null)) != null) {
            drop(f, DropReason.GONE_DISCONNECTED, disco);
        }
    }

    /** Writes queued packets while the channel accepts them, alternating kinds, then flushes once. */
    private void drain() {
        assert loop.inEventLoop();
        drainScheduled = 0;
        if (owner.isClosing()) {
            return;
        }
        relay.queueDepths().record(queuedCount());
        int written = 0;
        while (ctx.channel().isWritable()) {
            ByteBuf f = pollNext();
            if (f == null) {
                break;
            }
            if (written == 0) {
                // The head of the batch waited longest; one sample per drain keeps the shared average off the
                // per-packet path, where every loop writing it would bounce its cache line between cores.
                relay.metrics().recordQueueDuration(System.nanoTime() - enqueuedAt[0]);
            }
            writePacket(f);
            written++;
        }
        if (written > 0) {
            relay.batchSizes().record(written);
            ctx.flush();
        }
        if (!ctx.channel().isWritable() && hasQueued()) {
            armWriteTimeout();
        }
    }

    private ByteBuf pollNext() {
        PacketQueue first = discoTurn ? discoQueue : dataQueue;
        PacketQueue second = discoTurn ? dataQueue : discoQueue;
        discoTurn = !discoTurn;
        ByteBuf f = first == null ? null : first.poll(enqueuedAt);
        if (f == null && second != null) {
            f = second.poll(enqueuedAt);
        }
        return f;
    }

    private int queuedCount() {
        PacketQueue d = dataQueue;
        PacketQueue c = discoQueue;
        return (d == null ? 0 : d.size()) + (c == null ? 0 : c.size());
    }

    private boolean hasQueued() {
        PacketQueue d = dataQueue;
        PacketQueue c = discoQueue;
        return (d != null && !d.isEmpty()) || (c != null && !c.isEmpty());
    }

    private void writePacket(ByteBuf f) {
        peerGone.noteSource(f, f.readerIndex() + FrameType.HEADER_LENGTH);
        DerpMetrics m = relay.metrics();
        m.packetsSent.increment();
        int payload = f.readableBytes() - RECV_OVERHEAD;
        m.bytesSent.add(payload);
        PAYLOAD_SENT.setOpaque(this, payloadSent + payload);
        ctx.write(f, ctx.voidPromise());
    }

    // ---------------------------------------------------------------- writability and write timeout (event loop)

    void writabilityChanged() {
        assert loop.inEventLoop();
        if (ctx.channel().isWritable()) {
            cancelWriteTimeout();
            if (hasQueued() && DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) {
                loop.execute(drainTask);
            }
        } else {
            armWriteTimeout();
        }
    }

    private void armWriteTimeout() {
        assert loop.inEventLoop();
        long timeout = (meshPeer ? relay.relayProperties().meshWriteTimeout() : relay.relayProperties().writeTimeout()).toNanos();
        if (timeout == 0 || writeTimeout != null) {
            return;
        }
        writeTimeout = loop.schedule(() -> {
            writeTimeout = null;
            if (!ctx.channel().isWritable() && ctx.channel().isActive()) {
                relay.metrics().writeTimeouts.increment();
                owner.close();
            }
        }, timeout, TimeUnit.NANOSECONDS);
    }

    void cancelWriteTimeout() {
        assert loop.inEventLoop();
        if (writeTimeout != null) {
            writeTimeout.cancel(false);
            writeTimeout = null;
        }
    }
}
