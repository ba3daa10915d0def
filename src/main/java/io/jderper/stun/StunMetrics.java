package io.jderper.stun;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The original's {@code stun_requests{disposition}} and {@code stun_addrfamily{family}} series, resolved once
 * so the datagram path only increments. All series exist from registration, at zero.
 */
final class StunMetrics {

    final Counter success;
    final Counter notStun;
    final Counter readError;
    final Counter writeError;
    final Counter ipv4;
    final Counter ipv6;

    StunMetrics(MeterRegistry registry) {
        success = request(registry, "success");
        notStun = request(registry, "not_stun");
        readError = request(registry, "read_error");
        writeError = request(registry, "write_error");
        ipv4 = family(registry, "ipv4");
        ipv6 = family(registry, "ipv6");
    }

    private static Counter request(MeterRegistry registry, String disposition) {
        return Counter.builder("stun_requests")
                .description("STUN datagrams by outcome")
                .tag("disposition", disposition)
                .register(registry);
    }

    private static Counter family(MeterRegistry registry, String family) {
        return Counter.builder("stun_addrfamily")
                .description("Answered STUN requests by client address family")
                .tag("family", family)
                .register(registry);
    }
}
