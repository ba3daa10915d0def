package io.jderper.server;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameWriter;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.PeerGoneReason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One registered DERP connection and its writer. Everything except {@link #enqueue} and the {@code queue*} methods
 * runs on the connection's event loop; those two are how other connections (on other loops) hand it work, through
 * bounded lock-free queues or a task on its loop. Queued packets are written in batches with one flush per drain.
 */
public final class ClientConnection {
    private static final AtomicReferenceFieldUpdater<ClientConnection, PacketQueue> DATA_QUEUE =
            AtomicReferenceFieldUpdater.newUpdater(ClientConnection.class, PacketQueue.class, "dataQueue");
    private static final AtomicReferenceFieldUpdater<ClientConnection, PacketQueue> DISCO_QUEUE =
            AtomicReferenceFieldUpdater.newUpdater(ClientConnection.class, PacketQueue.class, "discoQueue");
    private static final AtomicIntegerFieldUpdater<ClientConnection> DRAIN_SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(ClientConnection.class, "drainScheduled");
    private static final int RECV_OVERHEAD = FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH;
    private static final VarHandle PAYLOAD_SENT;
    private static final VarHandle PAYLOAD_RECEIVED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PAYLOAD_SENT = lookup.findVarHandle(ClientConnection.class, "payloadSent", long.class);
            PAYLOAD_RECEIVED = lookup.findVarHandle(ClientConnection.class, "payloadReceived", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RelayContext relay;
    private final ChannelHandlerContext ctx;
    private final EventLoop loop;
    private final NodePublicKey key;
    private final InetSocketAddress remote;
    private final boolean meshPeer;
    private final boolean prober;
    private final boolean notIdeal;
    private final long connectedAtNanos = System.nanoTime();

    volatile PeerEntry entry;
    volatile boolean duplicate;
    private volatile boolean closing;

    // Allocated on first use: most connections of a large fleet are idle and never receive.
    private volatile PacketQueue dataQueue;
    private volatile PacketQueue discoQueue;
    private volatile int drainScheduled;
    private final Runnable drainTask = this::drain;

    // Written only on the event loop (opaque stores: a plain move, no fence); read by /debug/traffic from elsewhere.
    private long payloadSent;
    private long payloadReceived;

    // Event-loop confined state.
    private boolean preferred;
    private boolean pongPending;
    private boolean discoTurn;
    private final long[] enqueuedAt = new long[1];
    private NodeKeyProbe sendProbe;
    private NodeKeyProbe lastSource;
    private boolean lastSourceValid;
    private NodeKeyProbe scratch;
    private Set<NodePublicKey> receivedFrom;
    private double notHereTokens = 3;
    private long notHereRefilledAt = System.nanoTime();
    private ScheduledFuture<?> keepAlive;
    private ScheduledFuture<?> rttSampler;
    private ScheduledFuture<?> writeTimeout;

    ClientConnection(RelayContext relay, ChannelHandlerContext ctx, NodePublicKey key, InetSocketAddress remote,
                     boolean meshPeer, boolean prober, boolean notIdeal) {
        this.relay = relay;
        this.ctx = ctx;
        this.loop = ctx.channel().eventLoop();
        this.key = key;
        this.remote = remote;
        this.meshPeer = meshPeer;
        this.prober = prober;
        this.notIdeal = notIdeal;
    }

    public NodePublicKey key() {
        return key;
    }

    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** Packet payload bytes written to this connection so far. Any thread. */
    public long payloadBytesSent() {
        return (long) PAYLOAD_SENT.getOpaque(this);
    }

    /** Packet payload bytes this connection sent or forwarded to the relay so far. Any thread. */
    public long payloadBytesReceived() {
        return (long) PAYLOAD_RECEIVED.getOpaque(this);
    }

    /** Event loop only: counts a packet this connection handed to the relay. */
    void noteReceived(int payload) {
        PAYLOAD_RECEIVED.setOpaque(this, payloadReceived + payload);
    }

    public boolean isMeshPeer() {
        return meshPeer;
    }

    public boolean notIdeal() {
        return notIdeal;
    }

    int presentFlags() {
        return io.jderper.protocol.PeerPresentFlags.of(meshPeer, prober, notIdeal);
    }

    boolean isPreferred() {
        return preferred;
    }

    NodeKeyProbe sendProbe() {
        NodeKeyProbe p = sendProbe;
        if (p == null) {
            sendProbe = p = new NodeKeyProbe();
        }
        return p;
    }

    // ---------------------------------------------------------------- lifecycle (event loop)

    void start() {
        assert loop.inEventLoop();
        long period = relay.relayProperties().keepAlive().toNanos();
        long jitterBound = relay.relayProperties().keepAliveJitter().toNanos();
        long interval = period + (jitterBound > 0 ? ThreadLocalRandom.current().nextLong(jitterBound) : 0);
        keepAlive = loop.scheduleAtFixedRate(this::sendKeepAlive, interval, interval, TimeUnit.NANOSECONDS);
        rttSampler = TcpRttSampler.start(ctx.channel(), relay.relayProperties().tcpRttInterval(), relay.metrics());
    }

    /** Called once the channel is inactive: unregister, drop what is queued, forget subscriptions. */
    void closed() {
        assert loop.inEventLoop();
        if (closing) {
            return;
        }
        closing = true;
        if (keepAlive != null) {
            keepAlive.cancel(false);
        }
        if (rttSampler != null) {
            rttSampler.cancel(false);
        }
        cancelWriteTimeout();
        relay.registry().unregister(this);
        if (preferred) {
            relay.metrics().currentHomeConnections.decrementAndGet();
        }
        dropQueued();
        if (receivedFrom != null) {
            for (NodePublicKey source : receivedFrom) {
                relay.registry().unsubscribePeerGone(source, this);
            }
            receivedFrom = null;
        }
    }

    public void close() {
        ctx.channel().close();
    }

    /** Closes after {@code delayNanos} (graceful shutdown pacing), then runs {@code done}. */
    void scheduleClose(long delayNanos, Runnable done) {
        loop.schedule(() -> ctx.channel().close().addListener(f -> done.run()), delayNanos, TimeUnit.NANOSECONDS);
    }

    boolean isClosing() {
        return closing;
    }

    // ---------------------------------------------------------------- packets from other connections (any thread)

    /**
     * Hands over a RecvPacket frame (ownership passes here). Never blocks: a full queue loses its oldest packet,
     * and after three tries the new one, as the original's drop policy does.
     */
    void enqueue(ByteBuf recvFrame, boolean disco) {
        if (closing) {
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
        if (closing) {
            // Lost the race with closed(): nobody will drain, so clean up here.
            dropQueued();
            return;
        }
        if (DRAIN_SCHEDULED.compareAndSet(this, 0, 1)) {
            loop.execute(drainTask);
        }
    }

    private PacketQueue queue(AtomicReferenceFieldUpdater<ClientConnection, PacketQueue> field) {
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

    private void dropQueued() {
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
        drainScheduled = 0;
        if (closing) {
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
        int sourceIndex = f.readerIndex() + FrameType.HEADER_LENGTH;
        noteSource(f, sourceIndex);
        DerpMetrics m = relay.metrics();
        m.packetsSent.increment();
        int payload = f.readableBytes() - RECV_OVERHEAD;
        m.bytesSent.add(payload);
        PAYLOAD_SENT.setOpaque(this, payloadSent + payload);
        ctx.write(f, ctx.voidPromise());
    }

    /** Subscribes to "source left the region" the first time a packet from that source is written here. */
    private void noteSource(ByteBuf f, int sourceIndex) {
        NodeKeyProbe current = scratch;
        if (current == null) {
            scratch = current = new NodeKeyProbe();
            lastSource = new NodeKeyProbe();
        }
        current.fill(f, sourceIndex);
        if (lastSourceValid && lastSource.equals(current)) {
            return;
        }
        if (receivedFrom == null) {
            receivedFrom = new HashSet<>();
        }
        if (!receivedFrom.contains(current)) {
            NodePublicKey source = current.freeze();
            receivedFrom.add(source);
            relay.registry().subscribePeerGone(source, this);
        }
        lastSource.fill(f, sourceIndex);
        lastSourceValid = true;
    }

    // ---------------------------------------------------------------- writability and write timeout

    void writabilityChanged() {
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
        long timeout = (meshPeer ? relay.relayProperties().meshWriteTimeout() : relay.relayProperties().writeTimeout()).toNanos();
        if (timeout == 0 || writeTimeout != null) {
            return;
        }
        writeTimeout = loop.schedule(() -> {
            writeTimeout = null;
            if (!ctx.channel().isWritable() && ctx.channel().isActive()) {
                relay.metrics().writeTimeouts.increment();
                close();
            }
        }, timeout, TimeUnit.NANOSECONDS);
    }

    private void cancelWriteTimeout() {
        if (writeTimeout != null) {
            writeTimeout.cancel(false);
            writeTimeout = null;
        }
    }

    // ---------------------------------------------------------------- control frames

    private void sendKeepAlive() {
        if (!closing) {
            ctx.writeAndFlush(FrameWriter.keepAlive(ctx.alloc()), ctx.voidPromise());
        }
    }

    /** Answers a Ping unless a Pong is still waiting for the end of this read batch. */
    void answerPing(long data) {
        relay.metrics().gotPing.increment();
        if (pongPending) {
            return;
        }
        pongPending = true;
        ctx.write(FrameWriter.pong(ctx.alloc(), data), ctx.voidPromise());
        relay.metrics().sentPong.increment();
    }

    /** End of a read batch: what this connection's own reader wrote goes out now. */
    void readBatchDone() {
        if (pongPending) {
            pongPending = false;
        }
        ctx.flush();
    }

    void notePreferred(boolean nowPreferred) {
        if (nowPreferred == preferred) {
            return;
        }
        preferred = nowPreferred;
        DerpMetrics m = relay.metrics();
        if (nowPreferred) {
            m.currentHomeConnections.incrementAndGet();
        } else {
            m.currentHomeConnections.decrementAndGet();
        }
        if (System.nanoTime() - connectedAtNanos > TimeUnit.SECONDS.toNanos(5)) {
            (nowPreferred ? m.homeMovesIn : m.homeMovesOut).increment();
        }
    }

    /** PeerGone(NotHere) for a disco packet to an unknown key, rate-limited to a burst of 3 and 1 per second. */
    void notHere(NodeKeyProbe destination) {
        long now = System.nanoTime();
        notHereTokens = Math.min(3, notHereTokens + (now - notHereRefilledAt) / 1e9);
        notHereRefilledAt = now;
        if (notHereTokens < 1) {
            return;
        }
        notHereTokens -= 1;
        ctx.write(FrameWriter.peerGone(ctx.alloc(), destination.freeze(),
                PeerGoneReason.NOT_HERE), ctx.voidPromise());
        relay.metrics().peerGoneNotHereFrames.increment();
    }

    /**
     * From any thread: tells this connection that {@code peer} is gone. Written and flushed at once, on this
     * connection's loop (directly when already there): a watching sibling must stop forwarding without delay.
     */
    void queuePeerGone(NodePublicKey peer, PeerGoneReason reason) {
        if (loop.inEventLoop()) {
            writePeerGone(peer, reason);
        } else {
            loop.execute(() -> writePeerGone(peer, reason));
        }
    }

    private void writePeerGone(NodePublicKey peer, PeerGoneReason reason) {
        if (closing) {
            return;
        }
        if (receivedFrom != null) {
            receivedFrom.remove(peer);
            if (lastSourceValid && lastSource.equals(peer)) {
                lastSourceValid = false;
            }
        }
        ctx.writeAndFlush(FrameWriter.peerGone(ctx.alloc(), peer, reason),
                ctx.voidPromise());
        if (reason == PeerGoneReason.DISCONNECTED) {
            relay.metrics().peerGoneDisconnectedFrames.increment();
        }
    }

    /**
     * From any thread: a watcher learns that {@code peer} connected here. Written and flushed at once, on this
     * connection's loop (directly when already there, not after the current task), never batched: the sibling can
     * forward to the new client only from the moment this frame arrives.
     */
    void queuePeerPresent(NodePublicKey peer, InetSocketAddress address, int flags) {
        if (loop.inEventLoop()) {
            writePeerPresent(peer, address, flags);
        } else {
            loop.execute(() -> writePeerPresent(peer, address, flags));
        }
    }

    private void writePeerPresent(NodePublicKey peer, InetSocketAddress address, int flags) {
        if (!closing) {
            ctx.writeAndFlush(FrameWriter.peerPresent(ctx.alloc(), peer,
                    ip16(address), address == null ? 0 : address.getPort(), flags), ctx.voidPromise());
        }
    }

    /** Graceful shutdown: tell the client when to come back. */
    void sendRestarting(long reconnectInMillis, long tryForMillis) {
        loop.execute(() -> {
            if (!closing) {
                ctx.writeAndFlush(FrameWriter.restarting(ctx.alloc(),
                        reconnectInMillis, tryForMillis), ctx.voidPromise());
                relay.metrics().restartingFramesSent.increment();
            }
        });
    }

    static byte[] ip16(InetSocketAddress address) {
        byte[] out = new byte[16];
        if (address == null || address.getAddress() == null) {
            return out;
        }
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            out[10] = (byte) 0xFF;
            out[11] = (byte) 0xFF;
            System.arraycopy(ip.getAddress(), 0, out, 12, 4);
        } else if (ip instanceof Inet6Address) {
            System.arraycopy(ip.getAddress(), 0, out, 0, 16);
        }
        return out;
    }

    @Override
    public String toString() {
        return key.shortString() + "@" + remote;
    }
}
