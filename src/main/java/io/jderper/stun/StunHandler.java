package io.jderper.stun;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Answers Binding requests on the STUN socket. Runs on the socket's single event-loop thread, so the
 * flush flag and log throttle need no synchronisation.
 */
final class StunHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(StunHandler.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final boolean genericClients;
    private final StunMetrics metrics;
    private final ChannelFutureListener writeOutcome;
    private boolean flushPending;
    private long lastReadErrorLog = System.nanoTime() - LOG_INTERVAL_NANOS;

    StunHandler(boolean genericClients, StunMetrics metrics) {
        this.genericClients = genericClients;
        this.metrics = metrics;
        this.writeOutcome = future -> {
            if (future.isSuccess()) {
                metrics.success.increment();
            } else {
                metrics.writeError.increment();
                log.debug("STUN reply not sent", future.cause());
            }
        };
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            answer(ctx, packet);
        } catch (Throwable t) {
            // Classification cannot throw; this is allocation or pipeline trouble while replying.
            metrics.writeError.increment();
            log.debug("STUN reply failed", t);
        } finally {
            packet.release();
        }
    }

    private void answer(ChannelHandlerContext ctx, DatagramPacket packet) {
        int verdict = StunMessages.classify(packet.content(), genericClients);
        InetSocketAddress sender = packet.sender();
        InetAddress address = sender == null ? null : sender.getAddress();
        if (verdict == StunMessages.NOT_STUN || address == null) {
            metrics.notStun.increment();
            return;
        }
        byte[] raw = address.getAddress();
        byte[] ipv4 = StunMessages.ipv4Of(address, raw);
        (ipv4 != null ? metrics.ipv4 : metrics.ipv6).increment();
        ByteBuf reply = ctx.alloc().buffer(StunMessages.replyLength(verdict, ipv4 != null));
        try {
            if (verdict == StunMessages.BINDING) {
                StunMessages.writeBindingSuccess(reply, packet.content(), ipv4 != null ? ipv4 : raw, sender.getPort());
            } else {
                StunMessages.writeUnknownAttribute(reply, packet.content(), verdict);
            }
        } catch (Throwable t) {
            reply.release();
            throw t;
        }
        ctx.write(new DatagramPacket(reply, sender)).addListener(writeOutcome);
        flushPending = true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // One flush per read batch lets the epoll transport send the replies together.
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        metrics.readError.increment();
        long now = System.nanoTime();
        if (now - lastReadErrorLog >= LOG_INTERVAL_NANOS) {
            lastReadErrorLog = now;
            log.warn("STUN socket read error (pausing reads for 1s): {}", cause.toString());
        }
        // The original sleeps a second after a read error; pausing reads keeps a persistent fault from spinning.
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> {
                ctx.channel().config().setAutoRead(true);
            }, 1, TimeUnit.SECONDS);
        }
    }
}
