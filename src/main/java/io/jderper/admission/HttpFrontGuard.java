package io.jderper.admission;

import io.jderper.server.ClientErrors;
import io.jderper.server.DerpSessionRegistered;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import reactor.netty.NettyPipeline;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Sits right behind the HTTP codec of every main-listener connection until it is a registered DERP session, so every
 * phase before that has a deadline and holds a per-IP slot:
 * <ul>
 * <li>a request deadline: from accept (so it covers the TLS handshake), and again whenever the connection waits for its
 * next request, the connection has {@code http-request-timeout} to deliver a complete request (head and body), or it
 * is closed. A client dribbling its request head a byte at a time cannot hold a connection open.</li>
 * <li>the DERP session cap: an upgrade beyond {@code max-connections} gets 503 and the connection closes.</li>
 * <li>a set-up deadline: from the upgrade request, a connection has {@code derper.relay.handshake-timeout} (plus a
 * second's grace, so the relay's own handshake deadline normally fires first) to register as a DERP session, whatever
 * it is doing: a WebSocket handshake, sending nothing after the 101, a ClientInfo that never completes.</li>
 * <li>malformed requests: a request the codec cannot decode gets the original's terse 400 or 431 and is closed,
 * and every error a client causes before registration (bad HTTP, TLS garbage, WebSocket protocol violations) is
 * handed to {@link ClientErrors}, which counts it and keeps it out of the log.</li>
 * </ul>
 * The per-IP slot is held until the session registers ({@link DerpSessionRegistered}), when this guard removes itself:
 * registered sessions count only against {@code max-connections}.
 */
final class HttpFrontGuard extends ChannelDuplexHandler {
    private static final byte[] AT_CAPACITY = "derp server at capacity\n".getBytes(StandardCharsets.UTF_8);
    /** What the original's HTTP server writes, raw, for a request it cannot parse. */
    private static final byte[] BAD_REQUEST = goError("400 Bad Request");
    private static final byte[] HEADER_TOO_LARGE = goError("431 Request Header Fields Too Large");

    private final ListenerGuards guards;
    private final ListenerGuards.PendingLease pendingLease;
    private final long timeoutNanos;
    private final long setupTimeoutNanos;
    private ScheduledFuture<?> deadline;
    private int responsesOwed;
    private boolean readingRequest;
    private boolean refused;
    /** Upgraded, not yet registered: bytes and frames pass through, only the set-up deadline runs. */
    private boolean upgraded;
    /** A client error was reported: one per connection, the rest are consequences. */
    private boolean failed;

    HttpFrontGuard(ListenerGuards guards, ListenerGuards.PendingLease pendingLease, long timeoutNanos, long setupTimeoutNanos) {
        this.guards = guards;
        this.pendingLease = pendingLease;
        this.timeoutNanos = timeoutNanos;
        this.setupTimeoutNanos = setupTimeoutNanos;
    }

    private static byte[] goError(String status) {
        return ("HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" + status)
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (upgraded) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            malformed(ctx, o);
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (guards.isDerpUpgrade(request)) {
                upgrade(ctx, request);
                return;
            }
            responsesOwed++;
            readingRequest = !(msg instanceof LastHttpContent);
            if (readingRequest) {
                arm(ctx);
            } else {
                disarm();
            }
        } else if (msg instanceof LastHttpContent) {
            readingRequest = false;
            disarm();
            if (responsesOwed == 0) {
                arm(ctx); // answered before the request was fully read: now waiting for the next one
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * The codec gave up on the request. Reactor Netty would log each such request at WARN; here it is counted, and the
     * client gets what the original writes (a request head in error is answered, bad content just closes).
     */
    private void malformed(ChannelHandlerContext ctx, HttpObject bad) {
        refused = true;
        disarm();
        Throwable cause = bad.decoderResult().cause();
        if (cause instanceof PrematureChannelClosureException) {
            ReferenceCountUtil.release(bad); // the client hung up mid-request: not an error of its protocol
            return;
        }
        boolean tooLarge = cause instanceof TooLongFrameException;
        guards.clientErrors().report(tooLarge ? ClientErrors.Kind.HTTP_TOO_LARGE : ClientErrors.Kind.HTTP_MALFORMED,
                ctx.channel().remoteAddress(), String.valueOf(cause));
        ReferenceCountUtil.release(bad);
        ChannelHandlerContext codec = ctx.pipeline().context(NettyPipeline.HttpCodec);
        if (bad instanceof HttpRequest && codec != null && responsesOwed == 0) {
            // Written below the codec: its encoder has no response of ours to frame.
            codec.writeAndFlush(Unpooled.wrappedBuffer(tooLarge ? HEADER_TOO_LARGE : BAD_REQUEST))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (failed) {
            return; // the echo of the first error (a TLS handler reports a bad record and then its own close)
        }
        if (guards.clientErrors().reportIfClientError(cause, ctx.channel().remoteAddress())) {
            failed = true;
            ctx.close();
        } else if (ClientErrors.isDisconnect(cause)) {
            ctx.close(); // the client hung up mid-request; nothing to report
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DerpSessionRegistered.INSTANCE) {
            disarm();
            pendingLease.release();
            ctx.pipeline().remove(this);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void upgrade(ChannelHandlerContext ctx, HttpRequest request) {
        disarm();
        if (!guards.slots().tryAcquireDerp()) {
            refused = true;
            guards.maxConnectionsRejected.increment();
            ReferenceCountUtil.release(request);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.wrappedBuffer(AT_CAPACITY));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .set("X-Content-Type-Options", "nosniff")
                    .set(HttpHeaderNames.CONTENT_LENGTH, AT_CAPACITY.length)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.channel().closeFuture().addListener(f -> guards.slots().releaseDerp());
        upgraded = true;
        armSetup(ctx);
        ctx.fireChannelRead(request);
    }

    private void armSetup(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> {
            deadline = null;
            if (ctx.channel().isActive()) {
                guards.setupTimeouts.increment();
                ctx.close();
            }
        }, setupTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (!upgraded && msg instanceof LastHttpContent && !isInterim(msg)) {
            responsesOwed = Math.max(0, responsesOwed - 1);
            if (responsesOwed == 0 && !readingRequest) {
                arm(ctx); // idle keep-alive: the next request must come in time as well
            }
        }
        super.write(ctx, msg, promise);
    }

    private static boolean isInterim(Object msg) {
        return msg instanceof HttpResponse r && r.status().codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL;
    }

    private void arm(ChannelHandlerContext ctx) {
        if (timeoutNanos <= 0 || deadline != null || upgraded) {
            return;
        }
        deadline = ctx.executor().schedule(() -> {
            deadline = null;
            if (ctx.channel().isActive()) {
                guards.requestTimeouts.increment();
                ctx.close();
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
