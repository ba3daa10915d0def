package io.jderper.server;

import io.jderper.key.NodeKeyProbe;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.FrameWriter;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One registered DERP connection: its identity, lifecycle and control frames. Packets for it go through its
 * {@link ConnectionOutbox} (queues, drain, write timeout); the sources it has been sent packets from are kept by its
 * {@link PeerGoneTracker}. Everything except {@link #enqueue}, the {@code queue*} methods and the few marked "any
 * thread" runs on the connection's event loop; those are how other connections (on other loops) hand it work,
 * through bounded lock-free queues or a task on its loop.
 */
public final class ClientConnection {
    private static final VarHandle PAYLOAD_RECEIVED;

    static {
        try {
            PAYLOAD_RECEIVED = MethodHandles.lookup().findVarHandle(ClientConnection.class, "payloadReceived", long.class);
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
    private final PeerGoneTracker peerGone;
    private final ConnectionOutbox outbox;

    volatile PeerEntry entry;
    volatile boolean duplicate;
    private volatile boolean closing;

    // Written only on the event loop (opaque stores: a plain move, no fence); read by /debug/traffic from elsewhere.
    private long payloadReceived;

    // Event-loop confined state.
    private boolean preferred;
    private boolean pongPending;
    private NodeKeyProbe sendProbe;
    private double notHereTokens = 3;
    private long notHereRefilledAt = System.nanoTime();
    private ScheduledFuture<?> keepAlive;
    private ScheduledFuture<?> rttSampler;

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
        this.peerGone = new PeerGoneTracker(this, relay.registry(), loop);
        this.outbox = new ConnectionOutbox(this, relay, ctx, loop, peerGone, meshPeer);
    }

    public NodePublicKey key() {
        return key;
    }

    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** Packet payload bytes written to this connection so far. Any thread. */
    public long payloadBytesSent() {
        return outbox.payloadBytesSent();
    }

    /** Packet payload bytes this connection sent or forwarded to the relay so far. Any thread. */
    public long payloadBytesReceived() {
        return (long) PAYLOAD_RECEIVED.getOpaque(this);
    }

    /** Event loop only: counts a packet this connection handed to the relay. */
    void noteReceived(int payload) {
        assert loop.inEventLoop();
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
        assert loop.inEventLoop();
        return preferred;
    }

    NodeKeyProbe sendProbe() {
        assert loop.inEventLoop();
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
        outbox.cancelWriteTimeout();
        relay.registry().unregister(this);
        if (preferred) {
            relay.metrics().currentHomeConnections.decrementAndGet();
        }
        outbox.dropQueued();
        peerGone.unsubscribeAll();
    }

    public void close() {
        ctx.channel().close();
    }

    /** Closes after {@code delayNanos} (graceful shutdown pacing), then runs {@code done}. */
    void scheduleClose(long delayNanos, Runnable done) {
        loop.schedule(() -> ctx.channel().close().addListener(f -> done.run()), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Any thread. */
    boolean isClosing() {
        return closing;
    }

    // ---------------------------------------------------------------- packets from other connections (any thread)

    /** Hands over a RecvPacket frame (ownership passes here); see {@link ConnectionOutbox#enqueue}. Any thread. */
    void enqueue(ByteBuf recvFrame, boolean disco) {
        outbox.enqueue(recvFrame, disco);
    }

    void writabilityChanged() {
        outbox.writabilityChanged();
    }

    // ---------------------------------------------------------------- control frames

    private void sendKeepAlive() {
        assert loop.inEventLoop();
        if (!closing) {
            ctx.writeAndFlush(FrameWriter.keepAlive(ctx.alloc()), ctx.voidPromise());
        }
    }

    /** Answers a Ping unless a Pong is still waiting for the end of this read batch. */
    void answerPing(long data) {
        assert loop.inEventLoop();
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
        assert loop.inEventLoop();
        if (pongPending) {
            pongPending = false;
        }
        ctx.flush();
    }

    void notePreferred(boolean nowPreferred) {
        assert loop.inEventLoop();
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
        assert loop.inEventLoop();
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
        assert loop.inEventLoop();
        if (closing) {
            return;
        }
        peerGone.forget(peer);
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
        assert loop.inEventLoop();
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
