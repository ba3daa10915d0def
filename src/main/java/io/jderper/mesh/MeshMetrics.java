package io.jderper.mesh;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

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

    private volatile IntSupplier linksUp = () -> 0;
    private volatile IntSupplier linksDown = () -> 0;

    void linkCounts(IntSupplier up, IntSupplier down) {
        this.linksUp = up;
        this.linksDown = down;
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
        return linksUp.getAsInt();
    }

    public int linksDown() {
        return linksDown.getAsInt();
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("derp_mesh_links", this, MeshMetrics::linksUp).tag("state", "up")
                .description("mesh links to siblings by state").register(registry);
        Gauge.builder("derp_mesh_links", this, MeshMetrics::linksDown).tag("state", "down")
                .description("mesh links to siblings by state").register(registry);
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
