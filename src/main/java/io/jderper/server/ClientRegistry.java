package io.jderper.server;

import io.jderper.key.Key32;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.PeerGoneReason;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's table of node keys: local connections, mesh forwarders, watchers and peer-gone subscriptions.
 * Lookups on the send path are a single {@link ConcurrentHashMap#get} with a reusable probe key and two volatile
 * reads; changes happen per key inside {@code compute}, so no lock is ever global.
 */
public final class ClientRegistry {
    private final ConcurrentHashMap<Key32, PeerEntry> peers = new ConcurrentHashMap<>();
    private final Set<ClientConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<ClientConnection> watchers = ConcurrentHashMap.newKeySet();
    /** Source key → connections that were sent packets from it and must hear when it leaves the region. */
    private final ConcurrentHashMap<NodePublicKey, Set<ClientConnection>> peerGoneSubscribers = new ConcurrentHashMap<>();
    private final DerpMetrics metrics;

    public ClientRegistry(DerpMetrics metrics) {
        this.metrics = metrics;
    }

    PeerEntry lookup(Key32 key) {
        return peers.get(key);
    }

    /** True when the key has a local connection (for tests and the debug check). */
    public boolean isLocal(NodePublicKey key) {
        PeerEntry e = peers.get(key);
        return e != null && e.hasLocal();
    }

    /** True when the key is reachable locally or through a mesh forwarder. */
    public boolean isKnown(NodePublicKey key) {
        return peers.containsKey(key);
    }

    public Collection<ClientConnection> connections() {
        return List.copyOf(connections);
    }

    public int connectionCount() {
        return connections.size();
    }

    void register(ClientConnection c) {
        peers.compute(c.key(), (k, e) -> {
            if (e == null) {
                e = new PeerEntry(c.key());
                metrics.clientsTotal.incrementAndGet();
            }
            if (!e.hasLocal()) {
                metrics.clientsLocal.incrementAndGet();
            }
            e.add(c, metrics);
            c.entry = e;
            return e;
        });
        connections.add(c);
        metrics.currentConnections.incrementAndGet();
        if (c.notIdeal()) {
            metrics.currentNotIdealConnections.incrementAndGet();
        }
        for (ClientConnection w : watchers) {
            w.queuePeerPresent(c.key(), c.remoteAddress(), c.presentFlags());
        }
    }

    void unregister(ClientConnection c) {
        if (!connections.remove(c)) {
            return;
        }
        boolean[] lastLocal = {false};
        boolean[] goneFromRegion = {false};
        peers.computeIfPresent(c.key(), (k, e) -> {
            if (e.remove(c, metrics)) {
                lastLocal[0] = true;
                metrics.clientsLocal.decrementAndGet();
                if (!e.hasForwarders()) {
                    goneFromRegion[0] = true;
                    metrics.clientsTotal.decrementAndGet();
                    return null;
                }
            }
            return e;
        });
        metrics.currentConnections.decrementAndGet();
        if (c.notIdeal()) {
            metrics.currentNotIdealConnections.decrementAndGet();
        }
        if (watchers.remove(c)) {
            metrics.watchers.decrementAndGet();
        }
        if (lastLocal[0]) {
            for (ClientConnection w : watchers) {
                w.queuePeerGone(c.key(), PeerGoneReason.DISCONNECTED);
            }
        }
        if (goneFromRegion[0]) {
            peerGoneFromRegion(c.key());
        }
    }

    void noteActivity(ClientConnection c) {
        PeerEntry e = c.entry;
        if (e != null) {
            e.noteActivity(c);
        }
    }

    /** Subscribes a watcher (mesh peer) and queues the snapshot of local keys; runs on the watcher's event loop. */
    void addWatcher(ClientConnection w) {
        if (watchers.add(w)) {
            metrics.watchers.incrementAndGet();
        }
        for (PeerEntry e : peers.values()) {
            ClientConnection active = e.active;
            if (active != null) {
                w.queuePeerPresent(e.key, active.remoteAddress(), active.presentFlags());
            }
        }
    }

    /** Closes every local connection of {@code key} (a mesh peer's ClosePeer). */
    void closePeer(Key32 key) {
        PeerEntry e = peers.get(key);
        if (e != null) {
            for (ClientConnection c : e.connections()) {
                c.close();
            }
        }
    }

    /** Records that {@code receiver} was sent a packet from {@code source}. */
    void subscribePeerGone(NodePublicKey source, ClientConnection receiver) {
        peerGoneSubscribers.computeIfAbsent(source, k -> ConcurrentHashMap.newKeySet()).add(receiver);
    }

    void unsubscribePeerGone(NodePublicKey source, ClientConnection receiver) {
        peerGoneSubscribers.computeIfPresent(source, (k, set) -> {
            set.remove(receiver);
            return set.isEmpty() ? null : set;
        });
    }

    private void peerGoneFromRegion(NodePublicKey key) {
        Set<ClientConnection> subscribers = peerGoneSubscribers.remove(key);
        if (subscribers != null) {
            for (ClientConnection r : subscribers) {
                r.queuePeerGone(key, PeerGoneReason.DISCONNECTED);
            }
        }
    }

    /** Mesh: a sibling announced {@code key}. */
    public void addForwarder(NodePublicKey key, PacketForwarder forwarder) {
        peers.compute(key, (k, e) -> {
            if (e == null) {
                e = new PeerEntry(key);
                metrics.clientsTotal.incrementAndGet();
            }
            e.addForwarder(forwarder, metrics);
            return e;
        });
    }

    /** Mesh: a sibling no longer has {@code key} (or the link to it broke). */
    public void removeForwarder(NodePublicKey key, PacketForwarder forwarder) {
        boolean[] gone = {false};
        PeerEntry existing = peers.get(key);
        if (existing == null) {
            // Nothing is known of the key at all: the original counts nothing either.
            return;
        }
        peers.computeIfPresent(key, (k, e) -> {
            if (e.removeForwarder(forwarder, metrics) && e.isEmpty()) {
                gone[0] = true;
                metrics.clientsTotal.decrementAndGet();
                return null;
            }
            return e;
        });
        if (gone[0]) {
            peerGoneFromRegion(key);
        }
    }

    /** Keys with at least one local connection, with their active connection, for debug and checks. */
    public List<NodePublicKey> localKeys() {
        List<NodePublicKey> out = new ArrayList<>();
        for (PeerEntry e : peers.values()) {
            if (e.hasLocal()) {
                out.add(e.key);
            }
        }
        return out;
    }

    /** Inconsistencies between the key table and the connection set; empty when healthy. */
    public List<String> consistencyProblems() {
        List<String> problems = new ArrayList<>();
        for (ClientConnection c : connections) {
            PeerEntry e = peers.get(c.key());
            if (e == null || !e.connections().contains(c)) {
                problems.add("connection for " + c.key().shortString() + " missing from the key table");
            }
        }
        long distinct = localKeys().size();
        if (metrics.currentConnections.get() != distinct) {
            problems.add("derp_current_connections=" + metrics.currentConnections.get()
                    + " but " + distinct + " distinct local keys");
        }
        return problems;
    }
}
