package io.jderper.admission;

import io.jderper.protocol.FrameDecoder;
import io.jderper.protocol.FrameObserver;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * One connection's receive token bucket, charged with each frame's length as its header is decoded. When the bucket
 * runs dry the connection stops reading from its socket and the decoder stops handing out frames it already holds,
 * until the debt is paid back: nothing is dropped and the connection stays open, while TCP flow control slows the
 * sender. Debt (a negative balance) is what the original's reservation-based wait amounts to, so throughput equals
 * the configured rate. All state is confined to the channel's event loop.
 */
final class ConnectionRateLimiter implements FrameObserver {
    private final ReceiveRateLimits limits;
    private final Channel channel;
    private final FrameDecoder decoder;
    private long generation = -1;
    private double rate;
    private double burst;
    private double tokens;
    private long refilledAt;
    private boolean paused;
    private boolean closed;
    private ScheduledFuture<?> resume;

    ConnectionRateLimiter(ReceiveRateLimits limits, Channel channel, FrameDecoder decoder) {
        this.limits = limits;
        this.channel = channel;
        this.decoder = decoder;
    }

    @Override
    public void onHeader(int type, long length) {
        syncLimits();
        if (rate <= 0) {
            return;
        }
        refill(System.nanoTime());
        tokens -= Math.min(length, RateConfig.MIN_BURST);
        if (tokens < 0) {
            limits.waited.increment();
            if (!paused) {
                paused = true;
                decoder.pause();
                channel.config().setAutoRead(false);
                scheduleResume();
            }
        }
    }

    /** Called from any thread after a reload: the connection gets a full bucket under the new limits at once. */
    void limitsChanged() {
        channel.eventLoop().execute(() -> {
            if (closed) {
                return;
            }
            syncLimits();
            if (paused) {
                if (resume != null) {
                    resume.cancel(false);
                    resume = null;
                }
                tryResume();
            }
        });
    }

    void closed() {
        closed = true;
        if (resume != null) {
            resume.cancel(false);
        }
    }

    private void syncLimits() {
        ReceiveRateLimits.Applied a = limits.current();
        if (a.generation() != generation) {
            generation = a.generation();
            rate = a.config().bytesPerSecond();
            burst = a.config().burstBytes();
            tokens = burst;
            refilledAt = System.nanoTime();
        }
    }

    private void refill(long now) {
        long elapsed = now - refilledAt;
        refilledAt = now;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + rate * elapsed / 1e9);
        }
    }

    private void scheduleResume() {
        long delayNanos = (long) Math.ceil(-tokens / rate * 1e9);
        resume = channel.eventLoop().schedule(this::tryResume, Math.max(1, delayNanos), TimeUnit.NANOSECONDS);
    }

    private void tryResume() {
        resume = null;
        if (closed || !channel.isActive()) {
            return;
        }
        syncLimits();
        if (rate > 0) {
            refill(System.nanoTime());
            if (tokens < 0) {
                scheduleResume();
                return;
            }
        }
        paused = false;
        channel.config().setAutoRead(true);
        ChannelHandlerContext decoderCtx = channel.pipeline().context(decoder);
        if (decoderCtx != null) {
            try {
                decoder.resume(decoderCtx);
            } catch (Exception e) {
                decoderCtx.fireExceptionCaught(e); // a malformed frame among those held: the connection handler closes
            }
        }
    }
}
