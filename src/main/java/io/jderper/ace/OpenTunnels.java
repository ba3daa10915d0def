package io.jderper.ace;

import io.jderper.server.DerpServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.springframework.context.SmartLifecycle;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tunnels that are up, for the gauges and for shutdown: tunnels belong to no HTTP exchange, so nothing else
 * would close them before the event loops stop. They close in the same lifecycle phase as DERP connections start
 * draining, ahead of the web server's own shutdown.
 */
final class OpenTunnels implements SmartLifecycle {
    /** Front channel to back channel. */
    private final Map<Channel, Channel> tunnels = new ConcurrentHashMap<>();
    private volatile boolean running;

    void add(Channel front, Channel back) {
        tunnels.put(front, back);
        if (!running) {
            front.close();
        }
    }

    void remove(Channel front) {
        tunnels.remove(front);
    }

    int size() {
        return tunnels.size();
    }

    /**
     * Sums both sides' outbound buffers as their water marks see them (payload plus per-write bookkeeping); the
     * counters are volatile, so this is safe off the event loops.
     */
    long bufferedBytes() {
        long sum = 0;
        for (Map.Entry<Channel, Channel> e : tunnels.entrySet()) {
            sum += pending(e.getKey()) + pending(e.getValue());
        }
        return sum;
    }

    private static long pending(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        tunnels.forEach((front, back) -> {
            front.close();
            back.close();
        });
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return DerpServer.LIFECYCLE_PHASE;
    }
}
