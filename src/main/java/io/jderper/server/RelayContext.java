package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.micrometer.core.instrument.DistributionSummary;

/**
 * What a connection needs from the server, in one immutable bundle. {@code batchSizes} and {@code queueDepths} are
 * recorded once per drain, never per packet.
 */
record RelayContext(ClientRegistry registry, DerpMetrics metrics, RelayProperties relayProperties,
                    DistributionSummary batchSizes, DistributionSummary queueDepths) {
}
