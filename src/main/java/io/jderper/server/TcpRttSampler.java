package io.jderper.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Feeds {@code derp_tcp_rtt} from one connection's kernel round-trip estimate ({@code TCP_INFO}), on the
 * connection's event loop. Only the Linux transports (epoll, io_uring) expose that state; on NIO nothing is sampled,
 * as the original samples nothing off Linux.
 */
final class TcpRttSampler implements Runnable {
    private final Channel channel;
    private final DerpMetrics metrics;

    private TcpRttSampler(Channel channel, DerpMetrics metrics) {
        this.channel = channel;
        this.metrics = metrics;
    }

    /** The kernel's smoothed RTT in microseconds; throws ChannelException when the socket is gone. */
    private static long rttMicros(Channel channel) {
        return channel instanceof EpollSocketChannel epoll ? epoll.tcpInfo().rtt()
                : ((IoUringSocketChannel) channel).tcpInfo().rtt();
    }

    /**
     * Starts sampling every {@code interval}; returns the task to cancel when the connection closes, or null when
     * there is nothing to sample (disabled, another transport, or a socket whose first read failed, counted as
     * {@link TcpRttBucket#ERROR}).
     */
    static ScheduledFuture<?> start(Channel channel, Duration interval, DerpMetrics metrics) {
        if (interval.isZero() || !(channel instanceof EpollSocketChannel || channel instanceof IoUringSocketChannel)) {
            return null;
        }
        try {
            rttMicros(channel);
        } catch (ChannelException e) {
            metrics.tcpRtt(TcpRttBucket.ERROR);
            return null;
        }
        long nanos = interval.toNanos();
        return channel.eventLoop().scheduleAtFixedRate(new TcpRttSampler(channel, metrics), nanos, nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        if (!channel.isOpen()) {
            return;
        }
        try {
            metrics.tcpRtt(TcpRttBucket.of(rttMicros(channel)));
        } catch (ChannelException e) {
            // The socket went away between the check and the read; the next tick is cancelled with the connection.
        }
    }
}
