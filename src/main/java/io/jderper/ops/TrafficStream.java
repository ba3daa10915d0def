package io.jderper.ops;

import io.jderper.server.ClientConnection;
import io.jderper.server.ClientRegistry;
import reactor.core.publisher.Flux;

import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * {@code /debug/traffic}: every period, one JSON line {@code {"Sent":…,"Recv":…,"Key":"nodekey:…"}} per connection
 * whose counters moved since the previous round, then an empty line; the stream lasts until the client hangs up.
 * The original reads kernel TCP byte counts through {@code ss}; here the figures are the DERP packet payload bytes each
 * connection was sent and sent to the relay, counted by the connection itself, so no external tool is needed.
 */
final class TrafficStream {
    static final Duration PERIOD = Duration.ofSeconds(2);

    private TrafficStream() {
    }

    static Flux<String> stream(ClientRegistry registry, Duration period) {
        return Flux.defer(() -> {
            // Per subscriber; rounds run one after another, so no synchronisation is needed.
            Map<ClientConnection, long[]> previous = new IdentityHashMap<>();
            return Flux.interval(Duration.ZERO, period).onBackpressureDrop().map(tick -> round(registry, previous));
        });
    }

    static String round(ClientRegistry registry, Map<ClientConnection, long[]> previous) {
        StringBuilder out = new StringBuilder();
        Map<ClientConnection, long[]> next = new IdentityHashMap<>();
        for (ClientConnection c : registry.connections()) {
            long sent = c.payloadBytesSent();
            long received = c.payloadBytesReceived();
            long[] before = previous.getOrDefault(c, new long[2]);
            if (before[0] < sent || before[1] < received) {
                out.append("{\"Sent\":").append(sent).append(",\"Recv\":").append(received)
                        .append(",\"Key\":\"").append(c.key()).append("\"}\n");
            }
            next.put(c, new long[]{sent, received});
        }
        previous.clear();
        previous.putAll(next);
        return out.append('\n').toString();
    }
}
