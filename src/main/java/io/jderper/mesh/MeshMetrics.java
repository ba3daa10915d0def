package io.jderper.mesh;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * Mesh link metrics (jderper additions; the original has only {@code derp_packets_forwarded_out/in} and
 * {@code derp_clients_remote}, which stay in DerpMetrics). Forward-path updates are LongAdder increments on fields.
 */
public final class MeshMetrics implements MeterBinder {
    final LongAdder bytesForwardedOut = new LongAdder();
    /** Packets for a sibling whose link was down at that moment (lost between the table lookup and the write). */
    final LongAdder droppedLinkDown = new LongAdder();
    /** Packets dropped because the link's outbound buffer was over its bound. */
    final LongAdder droppedBackpressure = new LongAdder();
    final LongAdder connects = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    /** Links closed because their outbound buffer did not drain for the stall limit. */
    final LongAdder stalls = new LongAdder();
    /** Failed attempts and lost links by reason. */
    private final Map<LinkFailure.Reason, LongAdder> failures = new EnumMap<>(LinkFailure.Reason.class);

    private volatile ToIntFunction<MeshLink.State> linksIn = s -> 0;
    private volatile LongSupplier longestDownNanos = () -> 0;

    public MeshMetrics() {
        for (LinkFailure.Reason r : LinkFailure.Reason.values()) {
            failures.put(r, new LongAdder());
        }
    }

    void linkStates(ToIntFunction<MeshLink.State> count, LongSupplier longestDown) {
        this.linksIn = count;
        this.longestDownNanos = longestDown;
    }

    void failure(LinkFailure.Reason reason) {
        failures.get(reason).increment();
    }

    long failures(LinkFailure.Reason reason) {
        return failures.get(reason).sum();
    }

    public long bytesForwardedOut() {
        return bytesForwardedOut.sum();
    }

    public long droppedLinkDown() {
        return droppedLinkDown.sum();
    }

    public long droppedBackpressure() {
        return droppedBackpressure.sum();
    }

    public int linksUp() {
        return linksIn.applyAsInt(MeshLink.State.UP);
    }

    /** Links not up: connecting, or waiting to retry. */
    public int linksDown() {
        return linksIn.applyAsInt(MeshLink.State.CONNECTING) + linksIn.applyAsInt(MeshLink.State.RETRY_WAIT);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (MeshLink.State s : new MeshLink.State[]{MeshLink.State.UP, MeshLink.State.CONNECTING, MeshLink.State.RETRY_WAIT}) {
            Gauge.builder("derp_mesh_links", this, m -> m.linksIn.applyAsInt(s)).tag("state", s.name().toLowerCase(Locale.ROOT))
                    .description("mesh links to siblings by state (self entries not counted)").register(registry);
        }
        Gauge.builder("derp_mesh_link_down_seconds", this, m -> m.longestDownNanos.getAsLong() / 1e9)
                .description("how long the mesh link that has been down longest has been down; 0 while all are up")
                .register(registry);
        for (Map.Entry<LinkFailure.Reason, LongAdder> e : failures.entrySet()) {
            FunctionCounter.builder("derp_mesh_link_failures", e.getValue(), LongAdder::doubleValue)
                    .tag("reason", e.getKey().tag)
                    .description("failed mesh link attempts and lost links by reason").register(registry);
        }
        FunctionCounter.builder("derp_mesh_bytes_forwarded_out", bytesForwardedOut, LongAdder::doubleValue)
                .description("packet bytes forwarded to siblings").register(registry);
        FunctionCounter.builder("derp_mesh_forward_dropped", droppedLinkDown, LongAdder::doubleValue).tag("reason", "link_down")
                .description("packets for a sibling that could not be forwarded").register(registry);
        FunctionCounter.builder("derp_mesh_forward_dropped", droppedBackpressure, LongAdder::doubleValue).tag("reason", "backpressure")
                .description("packets for a sibling that could not be forwarded").register(registry);
        FunctionCounter.builder("derp_mesh_link_connects", connects, LongAdder::doubleValue)
                .description("mesh links established").register(registry);
        FunctionCounter.builder("derp_mesh_link_connect_failures", connectFailures, LongAdder::doubleValue)
                .description("mesh link attempts that failed before the link was up").register(registry);
        FunctionCounter.builder("derp_mesh_link_stalls", stalls, LongAdder::doubleValue)
                .description("mesh links closed because forwarding stalled").register(registry);
    }
}
