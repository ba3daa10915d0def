package io.jderper.server;

import io.jderper.key.NodePublicKey;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the server knows about one node key: its local connections (with the duplicate-connection rules of the
 * original) and the mesh forwarders that can reach it elsewhere in the region. Mutated only while holding its monitor;
 * the send path reads the two volatile fields without locking.
 */
final class PeerEntry {
    final NodePublicKey key;

    /** Where packets for this key go locally; null when the key is only reachable through the mesh. */
    volatile ClientConnection active;
    /** The preferred (earliest registered) mesh forwarder, or null. */
    volatile PacketForwarder forwarder;

    private final List<ClientConnection> connections = new ArrayList<>(1);
    /** Activity history while duplicated: the most recent entry is the one to fall back to. */
    private List<ClientConnection> history;
    private final List<PacketForwarder> forwarders = new ArrayList<>(1);

    PeerEntry(NodePublicKey key) {
        this.key = key;
    }

    synchronized boolean hasLocal() {
        return !connections.isEmpty();
    }

    synchronized boolean isEmpty() {
        return connections.isEmpty() && forwarders.isEmpty();
    }

    synchronized int connectionCount() {
        return connections.size();
    }

    synchronized List<ClientConnection> connections() {
        return List.copyOf(connections);
    }

    synchronized void add(ClientConnection c, DerpMetrics metrics) {
        connections.add(c);
        int n = connections.size();
        if (n == 2) {
            ClientConnection older = connections.get(0);
            history = new ArrayList<>(List.of(older));
            older.duplicate = true;
            c.duplicate = true;
            metrics.currentDupClientKeys.incrementAndGet();
            metrics.currentDupClientConns.addAndGet(2);
            metrics.totalDupClientConns.increment();
        } else if (n > 2) {
            history.add(c);
            c.duplicate = true;
            metrics.currentDupClientConns.incrementAndGet();
            metrics.totalDupClientConns.increment();
        }
        active = c;
    }

    /** Returns true when this was the key's last local connection. */
    synchronized boolean remove(ClientConnection c, DerpMetrics metrics) {
        if (!connections.remove(c)) {
            return false;
        }
        int n = connections.size();
        if (n == 0) {
            active = null;
            return true;
        }
        if (n == 1) {
            ClientConnection remaining = connections.get(0);
            remaining.duplicate = false;
            history = null;
            metrics.currentDupClientKeys.decrementAndGet();
            metrics.currentDupClientConns.addAndGet(-2);
            active = remaining;
            return false;
        }
        metrics.currentDupClientConns.decrementAndGet();
        history.removeIf(h -> h == c);
        for (int i = history.size() - 1; i > 0; i--) {
            if (history.get(i) == history.get(i - 1)) {
                history.remove(i);
            }
        }
        if (active == c) {
            active = history.isEmpty() ? connections.get(n - 1) : history.get(history.size() - 1);
        }
        return false;
    }

    /** A frame arrived on a duplicated connection: it becomes the one packets go to ("last writer wins"). */
    synchronized void noteActivity(ClientConnection c) {
        if (history == null || !connections.contains(c)) {
            return;
        }
        if (history.isEmpty() || history.get(history.size() - 1) != c) {
            // Fall-back only needs each connection's latest position, so one entry per connection suffices: the log
            // stays bounded by the number of connections however long two duplicates keep alternating.
            history.removeIf(h -> h == c);
            history.add(c);
        }
        active = c;
    }

    /** Returns false when {@code f} was already registered. */
    synchronized boolean addForwarder(PacketForwarder f, DerpMetrics metrics) {
        if (forwarders.contains(f)) {
            return false;
        }
        forwarders.add(f);
        if (forwarders.size() == 2) {
            metrics.multiForwarderCreated.increment();
        }
        forwarder = forwarders.get(0);
        return true;
    }

    synchronized boolean removeForwarder(PacketForwarder f, DerpMetrics metrics) {
        if (!forwarders.remove(f)) {
            // As in the original: only a removal that names another link than the one registered counts; a stranger
            // leaving a set of links is the harmless duplicate of a broadcast already handled.
            if (forwarders.size() < 2) {
                metrics.packetForwarderDeleteOtherValue.increment();
            }
            return false;
        }
        if (forwarders.size() == 1) {
            metrics.multiForwarderDeleted.increment();
        }
        forwarder = forwarders.isEmpty() ? null : forwarders.get(0);
        return true;
    }

    synchronized boolean hasForwarders() {
        return !forwarders.isEmpty();
    }
}
