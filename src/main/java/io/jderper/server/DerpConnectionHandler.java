package io.jderper.server;

import io.jderper.key.NaclBox;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameDecoder;
import io.jderper.protocol.FrameWriter;
import io.jderper.protocol.FrameType;
import io.jderper.protocol.MalformedFrameException;
import io.jderper.protocol.ServerInfoPayload;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The terminal handler of a DERP connection: runs the handshake (ServerKey, ClientInfo, admission, ServerInfo), then
 * dispatches steady-state frames. Every error ends here and closes only this connection.
 */
final class DerpConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(DerpConnectionHandler.class);

    private enum Phase { HANDSHAKE, VERIFYING, RELAY }

    private final DerpServer server;
    private final ConnectionInfo info;
    private final FrameDecoder decoder;
    private Phase phase = Phase.HANDSHAKE;
    private ScheduledFuture<?> handshakeDeadline;
    private ClientConnection connection;
    private RelayFrames relayFrames;
    private long startedAt;

    DerpConnectionHandler(DerpServer server, ConnectionInfo info, FrameDecoder decoder) {
        this.server = server;
        this.info = info;
        this.decoder = decoder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        startedAt = System.nanoTime();
        ctx.writeAndFlush(FrameWriter.encode(ctx.alloc(), new Frame.ServerKey(server.identity().publicKey())), ctx.voidPromise());
        long timeout = server.relayProperties().handshakeTimeout().toNanos();
        handshakeDeadline = ctx.executor().schedule(() -> failHandshake(ctx, "no ClientInfo within the handshake timeout"),
                timeout, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            // Leftovers of the HTTP layer (e.g. the empty last content of the upgrade request).
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (phase) {
            case HANDSHAKE -> handshake(ctx, frame);
            case RELAY -> relay(ctx, frame);
            case VERIFYING -> release(frame); // cannot happen: the decoder is paused while verifying
        }
    }

    private void handshake(ChannelHandlerContext ctx, Frame frame) {
        if (!(frame instanceof Frame.ClientInfo ci)) {
            release(frame);
            failHandshake(ctx, "first frame was " + FrameType.name(frame.type()));
            return;
        }
        phase = Phase.VERIFYING;
        if (ci.clientKey().isZero()) {
            failHandshake(ctx, "all-zero client key");
            return;
        }
        server.handshakeCrypto().open(server.identity().privateKey(), ci.clientKey(), ci.sealed(), ctx.executor(),
                opened -> clientInfoOpened(ctx, ci, opened));
        if (phase == Phase.VERIFYING && ctx.channel().isActive()) {
            // The key exchange (or admission) went elsewhere: read nothing more until it is back. When it finished
            // right here (a reconnecting client's kept box, an immediate admission), the two epoll changes of
            // pausing and resuming are saved.
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Back on the event loop with the opened ClientInfo: parse it, then admit (mesh peers at once). */
    private void clientInfoOpened(ChannelHandlerContext ctx, Frame.ClientInfo ci, HandshakeCrypto.Opened opened) {
        if (!ctx.channel().isActive() || phase != Phase.VERIFYING) {
            return;
        }
        if (!opened.ok()) {
            failHandshake(ctx, "ClientInfo box does not open");
            return;
        }
        NaclBox box = opened.box();
        ClientInfoPayload payload;
        try {
            payload = ClientInfoPayload.parse(opened.plaintext());
        } catch (IllegalArgumentException e) {
            failHandshake(ctx, e.getMessage());
            return;
        }
        boolean meshPeer = server.meshKeySource().accepts(payload.meshKeyHex());
        if (meshPeer) {
            admitted(ctx, ci, payload, true, box);
            return;
        }
        server.admission().admit(ci.clientKey(), info.remote()).whenComplete((decision, error) -> ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (error != null) {
                failHandshake(ctx, "admission failed: " + error);
            } else if (!decision.allowed()) {
                server.admissionDenied(decision);
                failHandshake(ctx, "admission denied: " + decision.reason());
            } else {
                admitted(ctx, ci, payload, false, box);
            }
        }));
    }

    private void admitted(ChannelHandlerContext ctx, Frame.ClientInfo ci, ClientInfoPayload payload, boolean meshPeer, NaclBox box) {
        connection = new ClientConnection(server.relayContext(), ctx, ci.clientKey(), info.remote(), meshPeer,
                payload.isProber(), info.notIdeal());
        server.relayContext().registry().register(connection);
        if (!meshPeer) {
            server.admission().registered(ctx.channel(), decoder);
        }
        ctx.writeAndFlush(FrameWriter.encode(ctx.alloc(), new Frame.ServerInfo(box.seal(ServerInfoPayload.CURRENT))), ctx.voidPromise());
        handshakeDeadline.cancel(false);
        handshakeDeadline = null; // the cancelled task would otherwise live as long as the connection
        server.handshakeCompleted(System.nanoTime() - startedAt);
        relayFrames = new RelayFrames(ctx);
        ctx.pipeline().fireUserEventTriggered(DerpSessionRegistered.INSTANCE);
        phase = Phase.RELAY;
        connection.start();
        ctx.channel().config().setAutoRead(true);
        // When the key exchange ran on the loop itself (a saturated crypto pool), admission can happen inside the
        // decoder's own read: resuming it there would re-enter it (and a violation found then released the buffer
        // the outer read still walks). Resume from a fresh task.
        ctx.executor().execute(() -> resumeDecoder(ctx));
    }

    private void resumeDecoder(ChannelHandlerContext ctx) {
        ChannelHandlerContext decoderCtx = ctx.pipeline().context(decoder);
        if (decoderCtx == null || !ctx.channel().isActive()) {
            return;
        }
        try {
            decoder.resume(decoderCtx);
        } catch (Exception e) {
            // A bad frame pipelined behind ClientInfo: handled here like any other (fired onwards it would reach
            // the pipeline's tail unhandled and leave the connection open).
            exceptionCaught(ctx, e);
        }
    }

    private void relay(ChannelHandlerContext ctx, Frame frame) {
        ClientConnection c = connection;
        if (c.duplicate) {
            server.relayContext().registry().noteActivity(c);
        }
        frame.accept(relayFrames);
    }

    /**
     * What a registered connection's frames do. The decoder's server rules mean the server-to-client types never
     * arrive here; they are named anyway so that a new frame type has to be decided on.
     */
    private final class RelayFrames implements Frame.Visitor<Void> {
        private final ChannelHandlerContext ctx;

        RelayFrames(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Void sendPacket(Frame.SendPacket p) {
            server.relay().route(connection, p);
            return null;
        }

        @Override
        public Void forwardPacket(Frame.ForwardPacket p) {
            if (!connection.isMeshPeer()) {
                p.release();
                violation(ctx, "ForwardPacket from a connection without the mesh key");
                return null;
            }
            server.relay().deliverForwarded(connection, p);
            return null;
        }

        @Override
        public Void notePreferred(Frame.NotePreferred n) {
            connection.notePreferred(n.preferred());
            return null;
        }

        @Override
        public Void ping(Frame.Ping ping) {
            connection.answerPing(ping.data());
            return null;
        }

        @Override
        public Void watchConns(Frame.WatchConns w) {
            if (!connection.isMeshPeer()) {
                violation(ctx, "WatchConns from a connection without the mesh key");
                return null;
            }
            if (!connection.key().equals(server.identity().publicKey())) {
                server.relayContext().registry().addWatcher(connection);
            }
            return null;
        }

        @Override
        public Void closePeer(Frame.ClosePeer cp) {
            if (!connection.isMeshPeer()) {
                violation(ctx, "ClosePeer from a connection without the mesh key");
                return null;
            }
            server.relayContext().registry().closePeer(cp.peer());
            return null;
        }

        /** Skipped by the decoder; it only counted as activity. */
        @Override
        public Void ignored(Frame.Ignored f) {
            return null;
        }

        @Override
        public Void unknown(Frame.Unknown f) {
            return null;
        }

        @Override
        public Void clientInfo(Frame.ClientInfo f) {
            return notFromClients(f);
        }

        @Override
        public Void serverKey(Frame.ServerKey f) {
            return notFromClients(f);
        }

        @Override
        public Void serverInfo(Frame.ServerInfo f) {
            return notFromClients(f);
        }

        @Override
        public Void recvPacket(Frame.RecvPacket f) {
            f.release();
            return notFromClients(f);
        }

        @Override
        public Void keepAlive(Frame.KeepAlive f) {
            return notFromClients(f);
        }

        @Override
        public Void peerGone(Frame.PeerGone f) {
            return notFromClients(f);
        }

        @Override
        public Void peerPresent(Frame.PeerPresent f) {
            return notFromClients(f);
        }

        @Override
        public Void pong(Frame.Pong f) {
            return notFromClients(f);
        }

        @Override
        public Void health(Frame.Health f) {
            return notFromClients(f);
        }

        @Override
        public Void restarting(Frame.Restarting f) {
            return notFromClients(f);
        }

        /** The server rules skip these before they become records; reaching here is a decoder bug. */
        private Void notFromClients(Frame f) {
            throw new IllegalStateException("the server decoder emitted " + FrameType.name(f.type())
                    + ", which it must skip as a server-to-client frame");
        }
    }

    private void violation(ChannelHandlerContext ctx, String why) {
        server.metrics().malformedFrames.increment();
        log.debug("closing {}: {}", connection, why);
        ctx.close();
    }

    private void failHandshake(ChannelHandlerContext ctx, String why) {
        if (connection != null) {
            return;
        }
        server.metrics().handshakeFailures.increment();
        log.debug("handshake with {} failed: {}", info.remote(), why);
        ctx.close();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (connection != null) {
            connection.readBatchDone();
        } else {
            ctx.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (connection != null) {
            connection.writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeDeadline != null) {
            handshakeDeadline.cancel(false);
        }
        if (connection != null) {
            connection.closed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof MalformedFrameException m) {
            server.metrics().malformedFrames.increment();
            if (m.frameType() == FrameType.PING) {
                server.metrics().gotPing.increment();
            }
            if (connection == null) {
                server.metrics().handshakeFailures.increment();
            }
            log.debug("closing {}: {}", connection == null ? info.remote() : connection, m.getMessage());
        } else if (server.clientErrors().reportIfClientError(cause, info.remote())) {
            // counted, and logged at most once per interval, by ClientErrors
        } else if (root instanceof IOException) {
            log.debug("connection {} failed: {}", connection == null ? info.remote() : connection, root.toString());
        } else {
            log.warn("unexpected error on DERP connection {}; closing it", connection == null ? info.remote() : connection, cause);
        }
        ctx.close();
    }

    private static void release(Frame frame) {
        if (frame instanceof Frame.PacketFrame p) {
            p.release();
        }
    }
}
