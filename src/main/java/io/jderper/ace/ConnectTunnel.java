package io.jderper.ace;

import io.jderper.config.AceProperties;
import io.jderper.pipeline.PipelineNames;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.netty.NettyPipeline;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One CONNECT request, from the request head to the end of its tunnel. {@link #start} runs inside the HTTP codec's
 * read: it takes the connection out of HTTP (as the DERP upgrade does, so bytes the client sent after the request
 * head are kept as tunnel bytes), then either writes a refusal and closes, or resolves and dials the target on the
 * connection's own event loop and transport. Once connected it answers {@code HTTP/1.1 200 OK} and relays both
 * ways. Everything here runs on that one event loop.
 */
final class ConnectTunnel {
    private static final Logger log = LoggerFactory.getLogger(ConnectTunnel.class);

    static final String FRONT = PipelineNames.ACE_FRONT;
    static final String BACK = PipelineNames.ACE_BACK;
    static final String IDLE = PipelineNames.ACE_IDLE;
    static final byte[] ESTABLISHED = "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Per direction, the most a side may hold unwritten before its source stops reading. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
    /**
     * Bytes a client may send before the tunnel is up. Reading stops at the CONNECT, so only what one read already
     * brought in can arrive; the bound guards that assumption.
     */
    static final int MAX_EARLY_BYTES = 1024 * 1024;

    private final AceProperties properties;
    private final ConnectPolicy policy;
    private final TargetResolver resolver;
    private final AceMetrics metrics;
    private final OpenTunnels open;

    private Channel front;
    private Channel back;
    private final Side frontSide = new Side(true);
    private final Side backSide = new Side(false);
    private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();
    private int earlyBytes;
    private boolean relaying;
    private boolean finished;
    private long dialDeadlineNanos;
    private ScheduledFuture<?> dialTimer;

    ConnectTunnel(AceProperties properties, ConnectPolicy policy, TargetResolver resolver, AceMetrics metrics,
                  OpenTunnels open) {
        this.properties = properties;
        this.policy = policy;
        this.resolver = resolver;
        this.metrics = metrics;
        this.open = open;
    }

    void start(ChannelHandlerContext ctx, String authority) {
        front = ctx.channel();
        front.config().setAutoRead(false);
        front.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        front.config().setWriteBufferWaterMark(WATER_MARK);
        if (!leaveHttp(ctx.pipeline())) {
            front.close();
            return;
        }

        if (!properties.enabled()) {
            refuse(AceMetrics.Result.DISABLED, Refusal.NOT_ENABLED);
            return;
        }
        if (front.pipeline().get(SslHandler.class) == null) {
            refuse(AceMetrics.Result.NOT_TLS, Refusal.REQUIRES_TLS);
            return;
        }
        var parsed = ConnectTarget.parse(authority);
        if (parsed.isEmpty()) {
            log.debug("CONNECT target {} not allowed: not host:port", quoted(authority));
            refuse(AceMetrics.Result.BAD_REQUEST, Refusal.INVALID_TARGET);
            return;
        }
        ConnectTarget target = parsed.get();
        switch (policy.check(target)) {
            case BAD_PORT -> {
                log.debug("CONNECT target {} not allowed: port", quoted(authority));
                refuse(AceMetrics.Result.BAD_PORT, Refusal.INVALID_TARGET);
            }
            case BAD_HOST -> {
                log.debug("CONNECT target {} not allowed: host", quoted(authority));
                refuse(AceMetrics.Result.BAD_HOST, Refusal.INVALID_TARGET);
            }
            case ALLOWED -> dial(target);
        }
    }

    /**
     * Puts the tunnel's front handler right behind the codec, then removes the codec and every HTTP-level handler
     * behind it (request guards, the DERP upgrade, Reactor Netty's handlers, this gate). Transport handlers in front
     * of the codec (TLS) stay. Removing the codec passes the bytes it holds beyond the request head to the front
     * handler, which keeps them for the target.
     */
    private boolean leaveHttp(ChannelPipeline p) {
        List<String> names = p.names();
        int codec = names.indexOf(NettyPipeline.HttpCodec);
        if (codec < 0) {
            return false; // not the main listener's pipeline: nothing to tell handlers apart by
        }
        p.addAfter(NettyPipeline.HttpCodec, FRONT, frontSide);
        for (String name : names.subList(codec + 1, names.size())) {
            if (p.context(name) != null) {
                p.remove(name);
            }
        }
        p.remove(NettyPipeline.HttpCodec);
        return true;
    }

    private void refuse(AceMetrics.Result result, Refusal refusal) {
        metrics.count(result);
        finished = true;
        releaseEarly();
        front.writeAndFlush(Unpooled.wrappedBuffer(refusal.response())).addListener(ChannelFutureListener.CLOSE);
    }

    private void dial(ConnectTarget target) {
        dialDeadlineNanos = System.nanoTime() + properties.connectTimeout().toNanos();
        dialTimer = front.eventLoop().schedule(() -> dialFailed(target, "timed out"),
                properties.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        resolver.resolve(target.host()).whenComplete((addresses, error) -> front.eventLoop().execute(() -> {
            if (error != null || addresses == null || addresses.isEmpty()) {
                dialFailed(target, error == null ? "no addresses" : error.toString());
            } else {
                connect(target, addresses, 0);
            }
        }));
    }

    private void connect(ConnectTarget target, List<InetAddress> addresses, int index) {
        if (finished) {
            return;
        }
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(dialDeadlineNanos - System.nanoTime());
        if (remainingMillis <= 0) {
            dialFailed(target, "timed out");
            return;
        }
        ChannelFuture f = new Bootstrap()
                .group(front.eventLoop())
                .channel(front.getClass().asSubclass(Channel.class))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, remainingMillis))
                // The relaying handler joins once connected: an attempt that fails must not consume it.
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                    }
                })
                .connect(new InetSocketAddress(addresses.get(index), target.portNumber()));
        back = f.channel();
        f.addListener((ChannelFutureListener) done -> {
            if (finished) {
                done.channel().close();
            } else if (done.isSuccess()) {
                established();
            } else if (index + 1 < addresses.size()) {
                connect(target, addresses, index + 1);
            } else {
                dialFailed(target, String.valueOf(done.cause()));
            }
        });
    }

    private void dialFailed(ConnectTarget target, String why) {
        if (finished || relaying) {
            return;
        }
        log.debug("error CONNECT dialing {}: {}", target, why);
        if (back != null) {
            back.close();
        }
        if (front.isActive()) {
            refuse(AceMetrics.Result.DIAL_FAILED, Refusal.CONNECT_FAILURE);
        } else {
            finish();
        }
    }

    private void established() {
        dialTimer.cancel(false);
        relaying = true;
        back.pipeline().addLast(BACK, backSide);
        metrics.count(AceMetrics.Result.OK);
        open.add(front, back);
        front.closeFuture().addListener(f -> open.remove(front));
        back.closeFuture().addListener(f -> open.remove(front));
        if (!properties.idleTimeout().isZero()) {
            front.pipeline().addBefore(FRONT, IDLE,
                    new IdleStateHandler(0, 0, properties.idleTimeout().toNanos(), TimeUnit.NANOSECONDS));
        }
        front.writeAndFlush(Unpooled.wrappedBuffer(ESTABLISHED));
        while (!early.isEmpty()) {
            ByteBuf b = early.poll();
            metrics.bytesToTarget.add(b.readableBytes());
            back.write(b, back.voidPromise());
        }
        earlyBytes = 0;
        back.flush();
        if (frontSide.inputDone) {
            shutdownOutput(back);
        } else {
            front.config().setAutoRead(true);
        }
        back.config().setAutoRead(true);
    }

    /** Ends the tunnel: both channels close once what is queued for them is written. */
    private void finish() {
        finished = true;
        if (dialTimer != null) {
            dialTimer.cancel(false);
        }
        releaseEarly();
        closeOnFlush(front);
        if (back != null) {
            closeOnFlush(back);
        }
    }

    private void releaseEarly() {
        while (!early.isEmpty()) {
            early.poll().release();
        }
        earlyBytes = 0;
    }

    private static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /** Tells one side's peer that no more bytes come: TLS close_notify then FIN to the client, FIN to the target. */
    private void shutdownOutput(Channel ch) {
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) flushed -> {
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl != null) {
                ssl.closeOutbound().addListener(f -> shutdownSocketOutput(ch));
            } else {
                shutdownSocketOutput(ch);
            }
        });
    }

    private void shutdownSocketOutput(Channel ch) {
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            return;
        }
        duplex.shutdownOutput().addListener(f -> {
            if (frontSide.inputDone && backSide.inputDone) {
                finish();
            }
        });
    }

    private static String quoted(String s) {
        return '"' + s.replace("\"", "\\\"") + '"';
    }

    /** One direction's source: reads from its channel, writes to the other, with back-pressure and half-close. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final boolean isFront;
        boolean inputDone;

        Side(boolean isFront) {
            this.isFront = isFront;
        }

        private Channel self() {
            return isFront ? front : back;
        }

        private Channel peer() {
            return isFront ? back : front;
        }

        private Side peerSide() {
            return isFront ? backSide : frontSide;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf bytes) || (finished && !relaying)) {
                // The request's trailing HTTP objects, or bytes for a tunnel that will not be.
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!relaying) {
                earlyBytes += bytes.readableBytes();
                early.add(bytes);
                if (earlyBytes > MAX_EARLY_BYTES) {
                    finish();
                }
                return;
            }
            Channel out = peer();
            if (!out.isActive() || bytes.readableBytes() == 0) {
                bytes.release();
                return;
            }
            (isFront ? metrics.bytesToTarget : metrics.bytesToClient).add(bytes.readableBytes());
            out.write(bytes, out.voidPromise());
            if (!out.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (relaying) {
                peer().flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side drained below the low mark: its source, the peer, may read again.
            if (relaying && ctx.channel().isWritable() && !peerSide().inputDone) {
                peer().config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent
                    || (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess())) {
                inputFinished();
            } else if (evt instanceof IdleStateEvent) {
                metrics.idleTimeouts.increment();
                finish();
            }
            ReferenceCountUtil.release(evt);
        }

        private void inputFinished() {
            if (inputDone) {
                return;
            }
            inputDone = true;
            self().config().setAutoRead(false);
            if (relaying) {
                shutdownOutput(peer());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("CONNECT tunnel {} side: {}", isFront ? "client" : "target", cause.toString());
            finish();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (isFront) {
                releaseEarly();
            }
        }
    }
}
