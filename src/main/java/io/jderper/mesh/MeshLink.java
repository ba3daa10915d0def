package io.jderper.mesh;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePublicKey;
import io.jderper.pipeline.PipelineNames;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.jderper.server.PacketForwarder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The outgoing link to one sibling: a DERP client with this server's own key and the mesh key that watches the
 * sibling's connections and carries ForwardPackets to it. Keys the sibling announces are registered with this link as
 * their forwarder; when the link breaks they are all withdrawn (local receivers hear PeerGone) and the link reconnects
 * after the retry interval, as often as it takes. Every state change runs on the link's one event loop and is logged:
 * connecting, up, and each failure with its cause, a failure repeating unchanged at most once per log interval.
 * {@link #forward} may run on any thread.
 */
final class MeshLink implements PacketForwarder {
    private static final Logger log = LoggerFactory.getLogger(MeshLink.class);

    enum State {
        /** Dialling, in the handshake, or waiting for the sibling's first PeerPresent. */
        CONNECTING,
        /** Watching the sibling: its snapshot arrived. */
        UP,
        /** Waiting before the next attempt. */
        RETRY_WAIT,
        /** The entry turned out to be this server itself; the link stays idle. */
        SELF,
        STOPPED
    }

    private final SiblingTarget target;
    private final LinkEnvironment env;
    private final EventLoop loop;

    /** The link's channel while it is up, for the forward path. */
    private volatile Channel channel;
    private volatile State state = State.CONNECTING;
    /** When the link last became up, or stopped being up (or started): not moved by each retry. */
    private volatile Instant since = Instant.now();
    /** {@link System#nanoTime} at which the link stopped being up (or started), for the longest-down gauge. */
    private volatile long downSinceNanos = System.nanoTime();
    private volatile NodePublicKey siblingKey;
    private volatile LinkFailure lastFailure;
    private volatile Instant lastFailureAt;
    private volatile int failures;
    private volatile int learnedCount;
    /** The mesh key the current or last attempt presented. */
    private volatile io.jderper.key.MeshKey dialledWith;

    // Confined to the loop.
    private final Set<NodePublicKey> learned = new HashSet<>();
    private final RepeatLimiter failureLog;
    private Session session;
    private ScheduledFuture<?> retry;
    private boolean stopped;

    MeshLink(SiblingTarget target, LinkEnvironment env, EventLoop loop) {
        this.target = target;
        this.env = env;
        this.loop = loop;
        this.failureLog = new RepeatLimiter(env.failureLogInterval());
    }

    SiblingTarget target() {
        return target;
    }

    State state() {
        return state;
    }

    void start() {
        onLoop(this::connect);
    }

    /** Closes the link for good and withdraws everything learned through it. */
    CompletableFuture<Void> stop() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        onLoop(() -> {
            stopped = true;
            if (retry != null) {
                retry.cancel(false);
            }
            Session s = session;
            session = null;
            channel = null;
            withdrawAll();
            setState(State.STOPPED);
            if (s != null && s.client != null) {
                s.client.close().addListener(f -> done.complete(null));
            } else {
                done.complete(null);
            }
        });
        return done;
    }

    /** The mesh key the current or last attempt presented (null before the first). */
    io.jderper.key.MeshKey dialledWith() {
        return dialledWith;
    }

    /**
     * Starts over at once with the current mesh key (after a rotation): a pending retry wait is cut short, an open
     * connection is closed and what it taught is withdrawn, as when a link breaks.
     */
    void redial() {
        onLoop(() -> {
            if (stopped || state == State.SELF) {
                return;
            }
            if (retry != null) {
                retry.cancel(false);
            }
            Session old = session;
            // The old session's end sees that it is no longer current and schedules nothing.
            session = null;
            channel = null;
            withdrawAll();
            if (old != null && old.client != null) {
                old.client.close();
            }
            log.info("mesh {}: redialling with the current mesh key", target.name());
            connect();
        });
    }

    /** Drops the current connection as if the network broke; the link reconnects (tests). */
    void breakConnection() {
        onLoop(() -> {
            Session s = session;
            if (s != null && s.client != null) {
                s.client.close();
            }
        });
    }

    // ---------------------------------------------------------------- connecting

    private void connect() {
        if (stopped) {
            return;
        }
        retry = null;
        Session s = new Session();
        session = s;
        if (state != State.RETRY_WAIT) {
            // The first attempt, or the first after losing the link; retries of a failing link are not news.
            log.info("mesh {}: connecting to {}", target.name(), target.url());
        }
        setState(State.CONNECTING);
        dialAddress().whenComplete((address, error) -> onLoop(() -> {
            if (s != session) {
                return;
            }
            if (error != null) {
                s.end(LinkFailure.dns(target.hostToDial(), error));
                return;
            }
            try {
                io.jderper.key.MeshKey key = env.meshKey().get();
                dialledWith = key;
                DerpClientOptions options = DerpClientOptions.defaults()
                        .withMeshKey(key)
                        .withDialAddress(address)
                        .withConnectTimeout(env.connectTimeout());
                if (target.tls()) {
                    options = options.withSslContext(env.tls().context(!target.urlHostIsAddress()));
                }
                DerpClient.connect(target.url(), env.serverKey(), options, s, loop)
                        .whenComplete((client, failure) -> onLoop(() -> {
                            if (failure != null) {
                                s.end(LinkFailure.of(failure));
                            } else {
                                s.connected(client);
                            }
                        }));
            } catch (RuntimeException e) {
                // Whatever goes wrong, the attempt ends and the next one is scheduled: a link never stalls.
                s.end(LinkFailure.of(e));
            }
        }));
    }

    private CompletableFuture<InetSocketAddress> dialAddress() {
        String host = target.hostToDial();
        if (SiblingTarget.isAddressLiteral(host)) {
            try {
                // A literal: no lookup happens.
                return CompletableFuture.completedFuture(new InetSocketAddress(InetAddress.getByName(host), target.port()));
            } catch (java.net.UnknownHostException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return env.resolver().resolve(host).thenApply(addresses -> {
            if (addresses.isEmpty()) {
                throw new IllegalStateException("no addresses");
            }
            return new InetSocketAddress(addresses.get(0), target.port());
        });
    }

    /** One connection attempt and, if it succeeds, the connection's lifetime. */
    private final class Session implements FrameListener {
        DerpClient client;
        private boolean ended;
        private boolean up;
        private boolean sawPresent;
        private ScheduledFuture<?> snapshotDeadline;
        /** Set by the guard when it closes the link, so the close is reported with its real cause. */
        LinkFailure closeCause;

        void connected(DerpClient c) {
            client = c;
            if (ended || session != this || stopped || !c.isOpen()) {
                c.close();
                end(new LinkFailure(LinkFailure.Reason.CLOSED, "connection closed during the handshake"));
                return;
            }
            if (c.serverKey().equals(env.serverPublicKey())) {
                log.info("mesh {}: this is our own server (same server key); ignoring the entry", target.name());
                ended = true;
                siblingKey = c.serverKey();
                lastFailure = null;
                setState(State.SELF);
                c.close();
                return;
            }
            Channel ch = c.channel();
            ch.config().setWriteBufferWaterMark(env.writeBufferWaterMark());
            ch.pipeline().addFirst(PipelineNames.MESH_IDLE, new IdleStateHandler(env.readIdle().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
            ch.pipeline().addLast(PipelineNames.MESH_GUARD, new LinkGuard(this));
            ch.pipeline().addLast(PipelineNames.MESH_FLUSH, new FlushConsolidationHandler(256, true));
            up = true;
            siblingKey = c.serverKey();
            env.metrics().connects.increment();
            channel = ch;
            // UP waits for the first PeerPresent: the snapshot always holds our own connection, so it proves that
            // the sibling accepted WatchConns (and with it our mesh key). A sibling that neither answers nor closes
            // must not hold the link in CONNECTING for ever.
            c.watchConns();
            snapshotDeadline = loop.schedule(() -> {
                if (!sawPresent && !ended && session == this) {
                    end(new LinkFailure(LinkFailure.Reason.NO_SNAPSHOT, "sibling sent no PeerPresent within "
                            + env.connectTimeout() + " of WatchConns"));
                    c.close();
                }
            }, env.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (ended || session != this) {
                return;
            }
            frame.accept(frames);
        }

        /**
         * What each frame from the sibling does to the link. A visitor, so that a new frame type does not compile
         * until the link decides what it means; runs on the loop, after {@link #connected} set {@link #client}.
         */
        private final Frame.Visitor<Void> frames = new Frame.Visitor<>() {
            @Override
            public Void peerPresent(Frame.PeerPresent p) {
                if (!sawPresent) {
                    sawPresent = true;
                    becameUp(client);
                }
                // Installed in the registry here and now, on the frame's own loop: A forwards from this moment.
                if (learned.add(p.peer())) {
                    learnedCount = learned.size();
                    env.registry().addForwarder(p.peer(), MeshLink.this);
                }
                return null;
            }

            @Override
            public Void peerGone(Frame.PeerGone g) {
                if (learned.remove(g.peer())) {
                    learnedCount = learned.size();
                }
                // Every PeerGone withdraws the key, as the original does; the registry counts removals of a
                // forwarder it did not have.
                env.registry().removeForwarder(g.peer(), MeshLink.this);
                return null;
            }

            @Override
            public Void restarting(Frame.Restarting r) {
                log.info("mesh {}: sibling is restarting (reconnect in {} ms)", target.name(), r.reconnectInMillis());
                closeCause = new LinkFailure(LinkFailure.Reason.LOST, "sibling is restarting");
                return null;
            }

            /** Packets addressed to this server's own key: nothing here receives them (the client releases them). */
            @Override
            public Void recvPacket(Frame.RecvPacket f) {
                return null;
            }

            /** Liveness only: any read resets the link's idle timer. */
            @Override
            public Void keepAlive(Frame.KeepAlive f) {
                return null;
            }

            /** The client answers pings itself. */
            @Override
            public Void ping(Frame.Ping f) {
                return null;
            }

            /** The link sends no pings of its own. */
            @Override
            public Void pong(Frame.Pong f) {
                return null;
            }

            /** A problem the sibling reports about this connection; the link's state is what it observes itself. */
            @Override
            public Void health(Frame.Health f) {
                return null;
            }

            /** A known type the client decoder skipped (a frame too short to read): activity, nothing more. */
            @Override
            public Void ignored(Frame.Ignored f) {
                return null;
            }

            /** A type newer than this protocol version: skipped, as the original's client does. */
            @Override
            public Void unknown(Frame.Unknown f) {
                return null;
            }

            /** The handshake's frames; the client consumed the real ones before the link existed. */
            @Override
            public Void serverKey(Frame.ServerKey f) {
                return null;
            }

            @Override
            public Void serverInfo(Frame.ServerInfo f) {
                return null;
            }

            @Override
            public Void clientInfo(Frame.ClientInfo f) {
                return notFromServers(f);
            }

            @Override
            public Void sendPacket(Frame.SendPacket f) {
                return notFromServers(f);
            }

            @Override
            public Void forwardPacket(Frame.ForwardPacket f) {
                return notFromServers(f);
            }

            @Override
            public Void notePreferred(Frame.NotePreferred f) {
                return notFromServers(f);
            }

            @Override
            public Void watchConns(Frame.WatchConns f) {
                return notFromServers(f);
            }

            @Override
            public Void closePeer(Frame.ClosePeer f) {
                return notFromServers(f);
            }

            /** The client rules skip these (they surface as Ignored); reaching here is a decoder bug. */
            private Void notFromServers(Frame f) {
                throw new IllegalStateException("the client decoder emitted " + FrameType.name(f.type())
                        + ", which it must skip as a client-to-server frame");
            }
        };

        @Override
        public void onClose(DerpClient c, Throwable cause) {
            onLoop(() -> end(cause == null ? new LinkFailure(LinkFailure.Reason.CLOSED, "connection closed")
                    : LinkFailure.of(cause)));
        }

        /** Ends this attempt once: withdraws what it learned, reports why and schedules the next attempt. */
        void end(LinkFailure why) {
            if (ended) {
                return;
            }
            ended = true;
            if (snapshotDeadline != null) {
                snapshotDeadline.cancel(false);
            }
            if (session != this || stopped) {
                return;
            }
            channel = null;
            withdrawAll();
            LinkFailure failure = closeCause != null ? closeCause : why;
            if (up && !sawPresent && why.reason() != LinkFailure.Reason.NO_SNAPSHOT) {
                // A watcher's snapshot always holds the watcher's own connection, so silence means WatchConns was refused.
                failure = new LinkFailure(LinkFailure.Reason.MESH_KEY,
                        "sibling closed the link before sending any PeerPresent; its mesh key probably differs");
            } else if (sawPresent) {
                failure = new LinkFailure(closeCause != null ? closeCause.reason() : LinkFailure.Reason.LOST,
                        "link lost: " + failure.message());
            }
            if (!sawPresent) {
                env.metrics().connectFailures.increment();
            }
            env.metrics().failure(failure.reason());
            failed(failure, sawPresent);
        }
    }

    private void becameUp(DerpClient c) {
        int heldBack = failureLog.heldBack();
        int failed = failures;
        failures = 0;
        lastFailure = null;
        failureLog.reset();
        since = Instant.now();
        setState(State.UP);
        if (failed == 0) {
            log.info("mesh {}: up, linked to {}", target.name(), c.serverKey().shortString());
        } else {
            log.info("mesh {}: up, linked to {} after {} failed attempt{}{}", target.name(), c.serverKey().shortString(),
                    failed, failed == 1 ? "" : "s", heldBack > 0 ? " (" + heldBack + " not logged)" : "");
        }
    }

    /** Records a failed attempt or a lost link, logs it unless it merely repeats, and schedules the next attempt. */
    private void failed(LinkFailure failure, boolean wasUp) {
        Instant now = Instant.now();
        if (wasUp) {
            since = now;
            downSinceNanos = System.nanoTime();
        }
        failures++;
        lastFailure = failure;
        lastFailureAt = now;
        Duration delay = env.retryInterval();
        int held = failureLog.admit(failure.message(), System.nanoTime());
        if (held >= 0) {
            log.warn("mesh {}: {} [{}]; {} in {}{}", target.name(), wasUp ? "down" : "failing", failure.message(),
                    wasUp ? "reconnecting" : "retrying", delay,
                    held > 0 ? " (the same failure " + held + " more time" + (held == 1 ? "" : "s")
                            + " since last logged)" : "");
        }
        setState(State.RETRY_WAIT);
        retry = loop.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Removes this link as forwarder of every key it learned (MeshConnBroke in the original). */
    private void withdrawAll() {
        if (learned.isEmpty()) {
            return;
        }
        List<NodePublicKey> keys = new ArrayList<>(learned);
        learned.clear();
        learnedCount = 0;
        for (NodePublicKey k : keys) {
            env.registry().removeForwarder(k, this);
        }
    }

    /**
     * Closes the link when it drops reads for too long (the sibling sends KeepAlives every minute) or when its outbound
     * buffer stays over the bound for the stall limit (the original closes a link whose forward write takes 5 s).
     */
    private final class LinkGuard extends ChannelDuplexHandler {
        private final Session session;
        private int epoch;

        LinkGuard(Session session) {
            this.session = session;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                session.closeCause = new LinkFailure(LinkFailure.Reason.IDLE, "nothing received for " + env.readIdle());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            int e = ++epoch;
            if (!ctx.channel().isWritable()) {
                ctx.executor().schedule(() -> {
                    if (epoch == e && !ctx.channel().isWritable() && ctx.channel().isActive()) {
                        env.metrics().stalls.increment();
                        session.closeCause = new LinkFailure(LinkFailure.Reason.STALLED,
                                "forwarding stalled for " + env.stallLimit() + " (sibling not reading)");
                        ctx.close();
                    }
                }, env.stallLimit().toMillis(), TimeUnit.MILLISECONDS);
            }
            super.channelWritabilityChanged(ctx);
        }
    }

    // ---------------------------------------------------------------- forwarding (any thread)

    /** Writes the packet to the sibling without copying it, or drops and counts it when the link cannot take it now. */
    @Override
    public void forward(NodePublicKey src, ByteBuf sendPacketFrame) {
        Channel ch = channel;
        if (ch == null) {
            env.metrics().droppedLinkDown.increment();
            sendPacketFrame.release();
            return;
        }
        if (!ch.isWritable()) {
            env.metrics().droppedBackpressure.increment();
            sendPacketFrame.release();
            return;
        }
        int packetBytes = sendPacketFrame.readableBytes() - FrameType.HEADER_LENGTH - FrameType.KEY_LENGTH;
        ByteBuf out = toForwardPacket(ch.alloc(), src, sendPacketFrame);
        env.metrics().bytesForwardedOut.add(packetBytes);
        // A closed channel releases the message and the void promise reports to the pipeline, which closes the link.
        ch.writeAndFlush(out, ch.voidPromise());
    }

    /**
     * SendPacket {@code 04 len dst packet} becomes ForwardPacket {@code 0a len+32 src dst packet}: a 37-byte head in
     * front of the received frame's bytes from the destination key on. Takes ownership of {@code sendPacketFrame}.
     */
    static ByteBuf toForwardPacket(ByteBufAllocator alloc, NodePublicKey src, ByteBuf sendPacketFrame) {
        int start = sendPacketFrame.readerIndex();
        int body = sendPacketFrame.readableBytes() - FrameType.HEADER_LENGTH;
        ByteBuf head = alloc.directBuffer(FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH);
        head.writeByte(FrameType.FORWARD_PACKET).writeInt(body + FrameType.KEY_LENGTH);
        src.writeTo(head);
        sendPacketFrame.readerIndex(start + FrameType.HEADER_LENGTH);
        CompositeByteBuf out = alloc.compositeDirectBuffer(2);
        out.addComponents(true, head, sendPacketFrame);
        return out;
    }

    @Override
    public String describe() {
        return "mesh link to " + target.name();
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---------------------------------------------------------------- status

    /**
     * @param since          when the link last became up, or stopped being up (not moved by retries)
     * @param failures       failed attempts since the link was last up
     * @param lastError      why the last attempt failed or the link went down, while it is not up; else null
     * @param lastErrorAt    when that happened
     * @param lastErrorReason the failure's reason tag
     */
    record Status(String name, String url, State state, Instant since, String sibling, int peers, int failures,
                  String lastError, Instant lastErrorAt, String lastErrorReason) {
    }

    Status status() {
        NodePublicKey k = siblingKey;
        LinkFailure f = lastFailure;
        return new Status(target.name(), target.url().toString(), state, since, k == null ? null : k.toString(),
                learnedCount, failures, f == null ? null : f.message(), f == null ? null : lastFailureAt,
                f == null ? null : f.reason().tag);
    }

    /** Nanoseconds since the link stopped being up (or started), or 0 while it is up or idle as this server itself. */
    long downForNanos(long nowNanos) {
        State s = state;
        return s == State.CONNECTING || s == State.RETRY_WAIT ? Math.max(0, nowNanos - downSinceNanos) : 0;
    }

    /** Test hook: the set of keys learned from this link, read on its loop. */
    CompletableFuture<Set<NodePublicKey>> learnedKeys() {
        CompletableFuture<Set<NodePublicKey>> f = new CompletableFuture<>();
        onLoop(() -> f.complete(Set.copyOf(learned)));
        return f;
    }

    private void setState(State s) {
        state = s;
    }

    private void onLoop(Runnable r) {
        if (loop.inEventLoop()) {
            r.run();
        } else {
            loop.execute(r);
        }
    }

    /**
     * What every link of a server shares.
     *
     * @param tls                 TLS client contexts, or null when links are plain HTTP
     * @param retryInterval       wait after a failed attempt or a lost link ({@code derper.mesh.retry-interval}; the
     *                            original's 5 s), the same every time: a sibling that comes up is linked within it
     * @param failureLogInterval  a failure repeating unchanged is logged at most once per this interval
     */
    record LinkEnvironment(io.jderper.key.NodePrivateKey serverKey, NodePublicKey serverPublicKey,
                           java.util.function.Supplier<io.jderper.key.MeshKey> meshKey,
                           io.jderper.server.ClientRegistry registry, MeshMetrics metrics,
                           SiblingResolver resolver, SiblingTls tls, Duration retryInterval, Duration failureLogInterval,
                           Duration connectTimeout, Duration readIdle, Duration stallLimit,
                           WriteBufferWaterMark writeBufferWaterMark) {
    }
}
