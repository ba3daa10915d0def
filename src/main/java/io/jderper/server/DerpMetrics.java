package io.jderper.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * The relay's counters and gauges, under the original derper's names. Hot-path updates are plain
 * {@link LongAdder} increments on fields; Micrometer reads them through function meters, so no tag lookup or
 * allocation happens per packet. {@link #forEach} gives the same values to the varz-style text page.
 */
public final class DerpMetrics implements MeterBinder {

    public enum Kind { DISCO, OTHER }

    public final LongAdder accepts = new LongAdder();
    public final LongAdder websocketAccepts = new LongAdder();
    public final AtomicLong currentConnections = new AtomicLong();
    public final AtomicLong currentHomeConnections = new AtomicLong();
    public final AtomicLong currentNotIdealConnections = new AtomicLong();
    public final AtomicLong currentDupClientKeys = new AtomicLong();
    public final AtomicLong currentDupClientConns = new AtomicLong();
    public final LongAdder totalDupClientConns = new LongAdder();
    public final AtomicLong watchers = new AtomicLong();
    public final AtomicLong clientsTotal = new AtomicLong();
    public final AtomicLong clientsLocal = new AtomicLong();

    public final LongAdder packetsReceived = new LongAdder();
    public final LongAdder bytesReceived = new LongAdder();
    public final LongAdder packetsReceivedDisco = new LongAdder();
    public final LongAdder packetsReceivedOther = new LongAdder();
    public final LongAdder packetsSent = new LongAdder();
    public final LongAdder bytesSent = new LongAdder();
    public final LongAdder packetsForwardedOut = new LongAdder();
    public final LongAdder packetsForwardedIn = new LongAdder();
    public final LongAdder peerGoneDisconnectedFrames = new LongAdder();
    public final LongAdder peerGoneNotHereFrames = new LongAdder();
    public final LongAdder gotPing = new LongAdder();
    public final LongAdder sentPong = new LongAdder();
    public final LongAdder homeMovesIn = new LongAdder();
    public final LongAdder homeMovesOut = new LongAdder();
    public final LongAdder unknownFrames = new LongAdder();
    public final LongAdder multiForwarderCreated = new LongAdder();
    public final LongAdder multiForwarderDeleted = new LongAdder();
    public final LongAdder packetForwarderDeleteOtherValue = new LongAdder();
    public final LongAdder writeTimeouts = new LongAdder();
    /** Connections closed because they sent a frame that breaks the protocol (jderper addition). */
    public final LongAdder malformedFrames = new LongAdder();
    /** Handshakes that failed (timeout, bad box, bad JSON, rejected) (jderper addition). */
    public final LongAdder handshakeFailures = new LongAdder();
    public final LongAdder restartingFramesSent = new LongAdder();

    private final LongAdder[][] packetsDropped = new LongAdder[DropReason.values().length][2];
    private final LongAdder[][] bytesDropped = new LongAdder[DropReason.values().length][2];

    private final LongAdder[] tcpRtt = new LongAdder[TcpRttBucket.values().length];

    /** Exponential moving average of queue wait in milliseconds (alpha 0.1), as the original computes it. */
    private volatile double averageQueueDurationMs;

    public DerpMetrics() {
        for (int r = 0; r < packetsDropped.length; r++) {
            for (int k = 0; k < 2; k++) {
                packetsDropped[r][k] = new LongAdder();
                bytesDropped[r][k] = new LongAdder();
            }
        }
        for (int i = 0; i < tcpRtt.length; i++) {
            tcpRtt[i] = new LongAdder();
        }
    }

    /** Counts one kernel round-trip estimate, or an {@link TcpRttBucket#ERROR} when it could not be read. */
    void tcpRtt(TcpRttBucket bucket) {
        tcpRtt[bucket.ordinal()].increment();
    }

    public long tcpRttCount(TcpRttBucket bucket) {
        return tcpRtt[bucket.ordinal()].sum();
    }

    /**
     * Visits the {@code derp_tcp_rtt} series that have counted anything, ordered by label text: the original keeps
     * them in a map that only gains a label on first use and prints it sorted.
     */
    public void forEachTcpRtt(BiConsumer<String, Long> visitor) {
        for (TcpRttBucket b : TcpRttBucket.byLabel()) {
            long n = tcpRttCount(b);
            if (n > 0) {
                visitor.accept(b.label(), n);
            }
        }
    }

    public void dropped(DropReason reason, boolean disco, int bytes) {
        int k = disco ? 0 : 1;
        packetsDropped[reason.ordinal()][k].increment();
        bytesDropped[reason.ordinal()][k].add(bytes);
    }

    public long packetsDropped(DropReason reason, Kind kind) {
        return packetsDropped[reason.ordinal()][kind.ordinal()].sum();
    }

    public long bytesDropped(DropReason reason, Kind kind) {
        return bytesDropped[reason.ordinal()][kind.ordinal()].sum();
    }

    /** Sampled once per drain (the batch's first packet), not per packet. */
    void recordQueueDuration(long nanos) {
        // Racy read-modify-write is acceptable: it is a smoothed indicator, not a counter.
        double ms = nanos / 1e6;
        averageQueueDurationMs = averageQueueDurationMs * 0.9 + ms * 0.1;
    }

    public double averageQueueDurationMs() {
        return averageQueueDurationMs;
    }

    public long clientsRemote() {
        return Math.max(0, clientsTotal.get() - clientsLocal.get());
    }

    /** Counters by original name (no {@code derp_} prefix), in a stable order. */
    public Map<String, Number> counters() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("accepts", accepts.sum());
        m.put("websocket_accepts", websocketAccepts.sum());
        m.put("total_dup_client_conns", totalDupClientConns.sum());
        m.put("packets_received", packetsReceived.sum());
        m.put("bytes_received", bytesReceived.sum());
        m.put("packets_sent", packetsSent.sum());
        m.put("bytes_sent", bytesSent.sum());
        m.put("packets_forwarded_out", packetsForwardedOut.sum());
        m.put("packets_forwarded_in", packetsForwardedIn.sum());
        m.put("peer_gone_disconnected_frames", peerGoneDisconnectedFrames.sum());
        m.put("peer_gone_not_here_frames", peerGoneNotHereFrames.sum());
        m.put("got_ping", gotPing.sum());
        m.put("sent_pong", sentPong.sum());
        m.put("home_moves_in", homeMovesIn.sum());
        m.put("home_moves_out", homeMovesOut.sum());
        m.put("unknown_frames", unknownFrames.sum());
        m.put("multiforwarder_created", multiForwarderCreated.sum());
        m.put("multiforwarder_deleted", multiForwarderDeleted.sum());
        m.put("packet_forwarder_delete_other_value", packetForwarderDeleteOtherValue.sum());
        m.put("sclient_write_timeouts", writeTimeouts.sum());
        m.put("malformed_frames", malformedFrames.sum());
        m.put("handshake_failures", handshakeFailures.sum());
        m.put("restarting_frames_sent", restartingFramesSent.sum());
        return m;
    }

    /** Gauges by original name (no {@code derp_} prefix). */
    public Map<String, Number> gauges() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("current_connections", currentConnections.get());
        m.put("current_home_connections", currentHomeConnections.get());
        m.put("current_notideal_connections", currentNotIdealConnections.get());
        m.put("current_dup_client_keys", currentDupClientKeys.get());
        m.put("current_dup_client_conns", currentDupClientConns.get());
        m.put("watchers", watchers.get());
        m.put("clients_total", clientsTotal.get());
        m.put("clients_local", clientsLocal.get());
        m.put("clients_remote", clientsRemote());
        return m;
    }

    /** Visits each (reason, kind) drop series: reason label, kind label, packets, bytes. */
    public void forEachDrop(DropVisitor visitor) {
        for (DropReason r : DropReason.values()) {
            for (Kind k : Kind.values()) {
                visitor.visit(r.label(), k.name().toLowerCase(), packetsDropped(r, k), bytesDropped(r, k));
            }
        }
    }

    @FunctionalInterface
    public interface DropVisitor {
        void visit(String reason, String kind, long packets, long bytes);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "derp_accepts", "DERP connections handed over after the HTTP upgrade", accepts);
        counter(registry, "derp_websocket_accepts", "DERP sessions over WebSocket", websocketAccepts);
        counter(registry, "derp_total_dup_client_conns", "connections accepted while their key was already connected", totalDupClientConns);
        counter(registry, "derp_packets_received", "SendPacket frames received", packetsReceived);
        counter(registry, "derp_bytes_received", "SendPacket payload bytes received", bytesReceived);
        FunctionCounter.builder("derp_packets_received_kind", packetsReceivedDisco, LongAdder::doubleValue)
                .tag("kind", "disco").description("SendPacket frames received by kind").register(registry);
        FunctionCounter.builder("derp_packets_received_kind", packetsReceivedOther, LongAdder::doubleValue)
                .tag("kind", "other").description("SendPacket frames received by kind").register(registry);
        counter(registry, "derp_packets_sent", "RecvPacket frames written", packetsSent);
        counter(registry, "derp_bytes_sent", "RecvPacket payload bytes written", bytesSent);
        counter(registry, "derp_packets_forwarded_out", "packets forwarded to mesh peers", packetsForwardedOut);
        counter(registry, "derp_packets_forwarded_in", "packets received from mesh peers", packetsForwardedIn);
        counter(registry, "derp_peer_gone_disconnected_frames", "PeerGone(Disconnected) frames written", peerGoneDisconnectedFrames);
        counter(registry, "derp_peer_gone_not_here_frames", "PeerGone(NotHere) frames written", peerGoneNotHereFrames);
        counter(registry, "derp_got_ping", "Ping frames received", gotPing);
        counter(registry, "derp_sent_pong", "Pong frames written", sentPong);
        counter(registry, "derp_home_moves_in", "connections that became a client's home", homeMovesIn);
        counter(registry, "derp_home_moves_out", "connections that stopped being a client's home", homeMovesOut);
        counter(registry, "derp_unknown_frames", "unknown frames (kept for dashboard compatibility)", unknownFrames);
        // Prometheus exposition strips a trailing "_created" (reserved by OpenMetrics), which would leave
        // derp_multiforwarder_total; /debug/varz keeps the original name.
        counter(registry, "derp_multiforwarder_creations", "keys that gained a second mesh forwarder", multiForwarderCreated);
        counter(registry, "derp_multiforwarder_deleted", "multi-forwarders collapsed back to one", multiForwarderDeleted);
        counter(registry, "derp_packet_forwarder_delete_other_value", "forwarder removals that named another forwarder", packetForwarderDeleteOtherValue);
        counter(registry, "derp_sclient_write_timeouts", "connections closed by the write timeout", writeTimeouts);
        counter(registry, "derp_malformed_frames", "connections closed for a frame that breaks the protocol", malformedFrames);
        counter(registry, "derp_handshake_failures", "connections closed before ServerInfo", handshakeFailures);
        counter(registry, "derp_restarting_frames_sent", "Restarting frames sent during graceful shutdown", restartingFramesSent);

        gauge(registry, "derp_current_connections", "registered connections", currentConnections::get);
        gauge(registry, "derp_current_home_connections", "connections whose client marked this server home", currentHomeConnections::get);
        gauge(registry, "derp_current_notideal_connections", "connections that named another ideal node", currentNotIdealConnections::get);
        gauge(registry, "derp_current_dup_client_keys", "keys with more than one connection", currentDupClientKeys::get);
        gauge(registry, "derp_current_dup_client_conns", "connections of keys with more than one connection", currentDupClientConns::get);
        gauge(registry, "derp_watchers", "mesh watcher connections", watchers::get);
        gauge(registry, "derp_clients_total", "keys reachable in the region (local and remote)", clientsTotal::get);
        gauge(registry, "derp_clients_local", "distinct locally connected keys", clientsLocal::get);
        gauge(registry, "derp_clients_remote", "keys reachable through mesh peers only", this::clientsRemote);
        gauge(registry, "derp_average_queue_duration_ms", "moving average of send-queue wait", this::averageQueueDurationMs);

        for (DropReason r : DropReason.values()) {
            for (Kind k : Kind.values()) {
                LongAdder p = packetsDropped[r.ordinal()][k.ordinal()];
                LongAdder b = bytesDropped[r.ordinal()][k.ordinal()];
                String kind = k.name().toLowerCase();
                FunctionCounter.builder("derp_packets_dropped", p, LongAdder::doubleValue)
                        .tags("reason", r.label(), "kind", kind)
                        .description("DERP packets dropped by reason and by kind").register(registry);
                FunctionCounter.builder("derp_bytes_dropped", b, LongAdder::doubleValue)
                        .tags("reason", r.label(), "kind", kind)
                        .description("DERP bytes dropped by reason and by kind").register(registry);
            }
        }
        for (TcpRttBucket b : TcpRttBucket.values()) {
            FunctionCounter.builder("derp_tcp_rtt", tcpRtt[b.ordinal()], LongAdder::doubleValue).tag("le", b.label())
                    .description("samples of connections' kernel TCP round-trip estimate, by the smallest bound they fit")
                    .register(registry);
        }
    }

    private static void counter(MeterRegistry registry, String name, String help, LongAdder adder) {
        FunctionCounter.builder(name, adder, LongAdder::doubleValue).description(help).register(registry);
    }

    private static void gauge(MeterRegistry registry, String name, String help, java.util.function.Supplier<Number> value) {
        Gauge.builder(name, value).description(help).register(registry);
    }

    /** Visits every scalar series as (name without prefix, value). */
    public void forEach(BiConsumer<String, Number> visitor) {
        counters().forEach(visitor);
        gauges().forEach(visitor);
    }
}
