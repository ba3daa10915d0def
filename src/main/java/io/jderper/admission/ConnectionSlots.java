package io.jderper.admission;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counting semaphores without waiting: DERP sessions against {@code max-connections}, and connections that are not
 * yet registered DERP sessions in total against {@code max-pending-connections} and per client IP against
 * {@code max-http-connections-per-ip}. The per-IP map only holds IPs with open connections.
 */
final class ConnectionSlots {
    private final int maxDerp;
    private final int maxPerIp;
    private final int maxPending;
    private final AtomicInteger derp = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    ConnectionSlots(int maxDerp, int maxPerIp, int maxPending) {
        this.maxDerp = maxDerp;
        this.maxPerIp = maxPerIp;
        this.maxPending = maxPending;
    }

    boolean tryAcquireDerp() {
        return tryAcquire(derp, maxDerp);
    }

    boolean tryAcquirePending() {
        return tryAcquire(pending, maxPending);
    }

    void releasePending() {
        pending.decrementAndGet();
    }

    int pendingInUse() {
        return pending.get();
    }

    private static boolean tryAcquire(AtomicInteger inUse, int max) {
        while (true) {
            int n = inUse.get();
            if (max > 0 && n >= max) {
                return false;
            }
            if (inUse.compareAndSet(n, n + 1)) {
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
