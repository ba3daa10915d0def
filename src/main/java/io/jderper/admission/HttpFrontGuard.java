package io.jderper.admission;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Sits right behind the HTTP codec of every main-listener connection until it becomes a DERP session:
 * <ul>
 * <li>a request deadline: from accept (so it covers the TLS handshake), and again whenever the connection waits for its
 * next request, the connection has {@code http-request-timeout} to deliver a complete request (head and body), or it
 * is closed. A client dribbling its request head a byte at a time cannot hold a connection open.</li>
 * <li>the DERP session cap: an upgrade beyond {@code max-connections} gets 503 and the connection closes.</li>
 * </ul>
 * On a DERP upgrade it takes a session slot, releases the connection's per-IP slot and removes itself, so DERP
 * sessions run without any HTTP deadline (the relay's handshake timeout takes over).
 */
final class HttpFrontGuard extends ChannelDuplexHandler {
    static final String NAME = "derp.front-guard";
    private static final byte[] AT_CAPACITY = "derp server at capacity\n".getBytes(StandardCharsets.UTF_8);

    private final ListenerGuards guards;
    private final ListenerGuards.IpLease ipLease;
    private final long timeoutNanos;
    private ScheduledFuture<?> deadline;
    private int responsesOwed;
    private boolean readingRequest;
    private boolean refused;

    HttpFrontGuard(ListenerGuards guards, ListenerGuards.IpLease ipLease, long timeoutNanos) {
        this.guards = guards;
        this.ipLease = ipLease;
        this.timeoutNanos = timeoutNanos;
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
        if (refused) {
            ReferenceCountUtil.release(msg);
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
        if (ipLease != null) {
            ipLease.release();
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof LastHttpContent && !isInterim(msg)) {
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
        if (timeoutNanos <= 0 || deadline != null) {
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
