package io.jderper.ops;

import io.jderper.stun.StunServer;
import io.netty.util.NetUtil;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.net.InetSocketAddress;

/** {@code stun}: the UDP socket is bound (always UP when STUN is switched off). DOWN while the socket re-binds. */
final class StunHealthIndicator implements HealthIndicator {
    private final StunServer stun;

    StunHealthIndicator(StunServer stun) {
        this.stun = stun;
    }

    @Override
    public Health health() {
        if (!stun.isEnabled()) {
            return Health.up().withDetail("enabled", false).build();
        }
        InetSocketAddress bound = stun.localAddress();
        if (bound == null) {
            return Health.down().withDetail("enabled", true).withDetail("state", "socket not bound").build();
        }
        return Health.up().withDetail("enabled", true).withDetail("address", NetUtil.toSocketAddressString(bound)).build();
    }
}
