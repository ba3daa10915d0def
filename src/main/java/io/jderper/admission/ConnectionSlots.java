package io.jderper.admission;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counting semaphores without waiting: DERP sessions against {@code max-connections}, and not-yet-DERP connections
 * per client IP against {@code max-http-connections-per-ip}. The per-IP map only holds IPs with open connections.
 */
final class ConnectionSlots {
    private final int maxDerp;
    private final int maxPerIp;
    private final AtomicInteger derp = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    ConnectionSlots(int maxDerp, int maxPerIp) {
        this.maxDerp = maxDerp;
        this.maxPerIp = maxPerIp;
    }

    boolean tryAcquireDerp() {
        while (true) {
            int n = derp.get();
            if (maxDerp > 0 && n >= maxDerp) {
                return false;
            }
            if (derp.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void releaseDerp() {
        derp.decrementAndGet();
    }

    int derpInUse() {
        return derp.get();
    }

    boolean perIpLimited() {
        return maxPerIp > 0;
    }

    boolean tryAcquireIp(InetAddress ip) {
        boolean[] ok = {false};
        perIp.compute(ip, (k, count) -> {
            if (count == null) {
                count = new AtomicInteger();
            }
            if (count.get() < maxPerIp) {
                count.incrementAndGet();
                ok[0] = true;
            }
            return count.get() == 0 ? null : count;
        });
        return ok[0];
    }

    void releaseIp(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    int trackedIps() {
        return perIp.size();
    }
}
