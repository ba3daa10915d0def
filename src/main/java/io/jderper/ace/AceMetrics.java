package io.jderper.ace;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The CONNECT proxy's meters: {@code derper_ace_connections{result}} per CONNECT request, the open tunnels, bytes
 * each way, idle closes, and the bytes the server holds for tunnels that have not reached the kernel yet (the sum of
 * both sides' outbound buffers — what back-pressure keeps bounded).
 */
final class AceMetrics {

    enum Result { OK, DISABLED, NOT_TLS, BAD_REQUEST, BAD_HOST, BAD_PORT, DIAL_FAILED }

    private final Map<Result, LongAdder> results = new EnumMap<>(Result.class);
    final LongAdder bytesToTarget = new LongAdder();
    final LongAdder bytesToClient = new LongAdder();
    final LongAdder idleTimeouts = new LongAdder();

    AceMetrics(MeterRegistry registry, OpenTunnels tunnels) {
        for (Result r : Result.values()) {
            LongAdder a = new LongAdder();
            results.put(r, a);
            FunctionCounter.builder("derper_ace_connections", a, LongAdder::doubleValue)
                    .tag("result", r.name().toLowerCase(Locale.ROOT))
                    .description("CONNECT requests by outcome").register(registry);
        }
        FunctionCounter.builder("derper_ace_bytes", bytesToTarget, LongAdder::doubleValue).tag("direction", "to_target")
                .description("bytes relayed by CONNECT tunnels").register(registry);
        FunctionCounter.builder("derper_ace_bytes", bytesToClient, LongAdder::doubleValue).tag("direction", "to_client")
                .description("bytes relayed by CONNECT tunnels").register(registry);
        FunctionCounter.builder("derper_ace_idle_timeouts", idleTimeouts, LongAdder::doubleValue)
                .description("CONNECT tunnels closed for carrying nothing for derper.ace.idle-timeout").register(registry);
        Gauge.builder("derper_ace_tunnels", tunnels, OpenTunnels::size)
                .description("open CONNECT tunnels").register(registry);
        Gauge.builder("derper_ace_buffered_bytes", tunnels, OpenTunnels::bufferedBytes)
                .description("bytes queued in the server for CONNECT tunnels, not yet written to a socket").register(registry);
    }

    void count(Result result) {
        results.get(result).increment();
    }
}
