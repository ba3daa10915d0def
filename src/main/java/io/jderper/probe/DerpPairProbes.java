package io.jderper.probe;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Probes that pass packets between two fresh DERP clients, one connected to each node of an ordered pair (the same
 * node twice for the {@code single} path): the mesh probe (one small packet), the bandwidth probe (a payload of a set
 * size, in order and intact) and the continuous queuing-delay probe (small packets at a fixed rate, their transit
 * times as a histogram, late ones counted as dropped).
 */
final class DerpPairProbes {
    static final String MESH_CLASS = "derp_mesh";
    static final String BW_CLASS = "derp_bw";
    static final String QD_CLASS = "derp_qd";
    /** Packets in flight in a transfer: below the server's per-client queue (32), so the probe itself never drops. */
    static final int WINDOW = 30;
    static final int MESH_PACKET_SIZE = 8;
    /** The size of a CallMeMaybe disco packet as a Tailscale client sends it. */
    static final int QD_PACKET_SIZE = 260;
    static final double[] QD_BUCKETS = {.005, .01, .025, .05, .1, .25, .5, 1};
    /** How long a pair waits for the sending node to learn of the receiving one over the mesh. */
    static final Duration MESH_SETTLE = Duration.ofMillis(100);

    private final Function<String, Optional<DerpMap.Node>> nodes;
    private final MeshKeySource meshKeys;
    private final ProbeTrust trust;

    DerpPairProbes(Function<String, Optional<DerpMap.Node>> nodes, MeshKeySource meshKeys, ProbeTrust trust) {
        this.nodes = nodes;
        this.meshKeys = meshKeys;
        this.trust = trust;
    }

    static String path(String from, String to) {
        return from.equals(to) ? "single" : "mesh";
    }

    ProbeClass mesh(String from, String to) {
        ProbeTask task = run -> pair(from, to, true, run).thenCompose(p ->
                p.guard(transfer(p, new Payload(MESH_PACKET_SIZE), run)));
        return new ProbeClass(MESH_CLASS, Map.of("derp_path", path(from, to)), task, null);
    }

    ProbeClass bandwidth(String from, String to, long size) {
        DoubleCounter transferSeconds = new DoubleCounter();
        ProbeTask task = run -> pair(from, to, false, run).thenCompose(p -> {
            long started = System.nanoTime();
            return p.guard(transfer(p, new Payload(size), run))
                    .whenComplete((v, e) -> transferSeconds.add((System.nanoTime() - started) / 1e9));
        });
        ProbeClass.ExtraMetrics metrics = (out, labels) -> {
            out.gauge("derp_bw_probe_size_bytes", "Payload size of the bandwidth prober", labels, size);
            out.counter("derp_bw_transfer_time_seconds_total", "Time it took to transfer data", labels, transferSeconds.get());
        };
        return new ProbeClass(BW_CLASS, Map.of("derp_path", path(from, to), "tcp_in_tcp", "false"), task, metrics);
    }

    ProbeClass queuingDelay(String from, String to, int packetsPerSecond, Duration packetTimeout) {
        QueuingDelay qd = new QueuingDelay(packetsPerSecond, packetTimeout);
        ProbeTask task = run -> pair(from, to, false, run).thenCompose(p -> p.guard(qd.measure(p, run)));
        return new ProbeClass(QD_CLASS, Map.of("derp_path", path(from, to)), task, qd::metrics);
    }

    // ------------------------------------------------------------------------------------------------ connections

    /** A connected pair of clients for one attempt. */
    static final class Pair {
        final DerpMap.Node fromNode;
        final DerpMap.Node toNode;
        final Conn from;
        final Conn to;

        Pair(DerpMap.Node fromNode, DerpMap.Node toNode, Conn from, Conn to) {
            this.fromNode = fromNode;
            this.toNode = toNode;
            this.from = from;
            this.to = to;
        }

        /** Prefixes failures with both clients' keys, which is what a server's logs show. */
        <T> CompletionStage<T> guard(CompletionStage<T> stage) {
            return stage.exceptionally(e -> {
                throw new ProbeFailure(from.client.publicKey().shortString() + " -> " + to.client.publicKey().shortString()
                        + ": " + Probe.message(e));
            });
        }
    }

    /** One client plus where its received packets go. */
    static final class Conn implements FrameListener {
        volatile DerpClient client;
        volatile Consumer<Frame.RecvPacket> packets = p -> { };
        volatile Consumer<String> closed = why -> { };

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (frame instanceof Frame.RecvPacket p) {
                packets.accept(p);
            }
            // KeepAlive, PeerGone, Ping and the rest do not concern a probe.
        }

        @Override
        public void onClose(DerpClient c, Throwable cause) {
            closed.accept("connection closed");
        }
    }

    private CompletableFuture<Pair> pair(String fromName, String toName, boolean prober, ProbeRun run) {
        Optional<DerpMap.Node> fromNode = nodes.apply(fromName);
        if (fromNode.isEmpty()) {
            return CompletableFuture.failedFuture(new ProbeFailure("could not find derp node " + fromName));
        }
        Optional<DerpMap.Node> toNode = nodes.apply(toName);
        if (toNode.isEmpty()) {
            return CompletableFuture.failedFuture(new ProbeFailure("could not find derp node " + toName));
        }
        CompletableFuture<Conn> a = connect(fromNode.get(), prober, run);
        CompletableFuture<Conn> b = a.thenCompose(x -> connect(toNode.get(), prober, run));
        CompletableFuture<Pair> pair = b.thenApply(y -> new Pair(fromNode.get(), toNode.get(), a.join(), y));
        if (fromName.equals(toName)) {
            return pair;
        }
        return pair.thenCompose(p -> {
            CompletableFuture<Pair> later = new CompletableFuture<>();
            p.from.client.channel().eventLoop().schedule(() -> later.complete(p), MESH_SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            return later;
        });
    }

    CompletableFuture<Conn> connect(DerpMap.Node node, boolean prober, ProbeRun run) {
        Conn conn = new Conn();
        String scheme = node.plainHttp() ? "http" : "https";
        URI url = URI.create(scheme + "://" + TlsProbe.hostPort(node.hostName(), node.effectiveDerpPort()) + "/derp");
        DerpClientOptions options = clientOptions(node, prober, run.remaining());
        CompletableFuture<DerpClient> connecting;
        try {
            connecting = DerpClient.connect(url, NodePrivateKey.generate(), options, conn);
        } catch (RuntimeException e) {
            connecting = CompletableFuture.failedFuture(e);
        }
        return connecting.handle((client, e) -> {
            if (e != null) {
                throw new ProbeFailure("connecting to " + node.name() + " (" + url + "): " + Probe.message(e));
            }
            run.onEnd(client::close);
            conn.client = client;
            return conn;
        });
    }

    /**
     * A probe client's options. The mesh key is read for each connection: an embedded prober's key rotates with its
     * server's (a secrets server), and the siblings stop accepting the old one.
     */
    DerpClientOptions clientOptions(DerpMap.Node node, boolean prober, Duration remaining) {
        DerpClientOptions options = DerpClientOptions.defaults()
                .withConnectTimeout(remaining.isZero() ? Duration.ofMillis(1) : remaining);
        Optional<MeshKey> meshKey = meshKeys.current();
        if (meshKey.isPresent()) {
            options = options.withMeshKey(meshKey.get());
        }
        options = options.withProber(prober);
        if (!node.plainHttp()) {
            options = options.withSslContext(trust.clientContext(node));
        }
        InetSocketAddress dial = dialAddress(node);
        if (dial != null) {
            options = options.withDialAddress(dial);
        }
        return options;
    }

    /** The map's IPv4 (then IPv6) literal when given, else null to resolve the host name. */
    static InetSocketAddress dialAddress(DerpMap.Node node) {
        for (String ip : new String[] {node.ipv4(), node.ipv6()}) {
            if (ip != null && (NetUtil.isValidIpV4Address(ip) || NetUtil.isValidIpV6Address(ip))) {
                return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(ip), node.effectiveDerpPort());
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ transfers

    /** A payload of {@code size} bytes cut into DERP-sized packets, each regenerated from a seed instead of kept. */
    static final class Payload {
        final long size;
        final long seed = ThreadLocalRandom.current().nextLong();
        final int count;

        Payload(long size) {
            this.size = size;
            this.count = (int) ((size + FrameType.MAX_PACKET_SIZE - 1) / FrameType.MAX_PACKET_SIZE);
        }

        int length(int index) {
            return (int) Math.min(FrameType.MAX_PACKET_SIZE, size - (long) index * FrameType.MAX_PACKET_SIZE);
        }

        byte[] packet(int index) {
            byte[] b = new byte[length(index)];
            new SplittableRandom(seed + 0x9E3779B97F4A7C15L * index).nextBytes(b);
            return b;
        }

        boolean matches(int index, ByteBuf data) {
            if (data.readableBytes() != length(index)) {
                return false;
            }
            byte[] want = packet(index);
            for (int i = 0; i < want.length; i++) {
                if (data.getByte(data.readerIndex() + i) != want[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Sends the payload from one client to the other, at most {@link #WINDOW} packets unacknowledged. */
    static CompletableFuture<Void> transfer(Pair p, Payload payload, ProbeRun run) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (payload.count == 0) {
            done.complete(null);
            return done;
        }
        NodePublicKey fromKey = p.from.client.publicKey();
        NodePublicKey toKey = p.to.client.publicKey();
        AtomicInteger inFlight = new AtomicInteger();
        int[] next = {0};
        int[] received = {0};
        Runnable[] sendMore = new Runnable[1];
        sendMore[0] = () -> {
            boolean wrote = false;
            while (!done.isDone() && next[0] < payload.count && inFlight.get() < WINDOW) {
                int index = next[0]++;
                inFlight.incrementAndGet();
                p.from.client.send(toKey, Unpooled.wrappedBuffer(payload.packet(index)), false).addListener(f -> {
                    if (!f.isSuccess()) {
                        done.completeExceptionally(new ProbeFailure("error sending via \"" + p.fromNode.name()
                                + "\": sending packet " + index + ": " + Probe.message(f.cause())));
                    }
                });
                wrote = true;
            }
            if (wrote) {
                p.from.client.flush();
            }
        };
        p.to.packets = packet -> {
            if (done.isDone()) {
                return;
            }
            int index = received[0];
            if (!packet.source().equals(fromKey)) {
                done.completeExceptionally(new ProbeFailure("error receiving from \"" + p.toNode.name()
                        + "\": got data packet " + index + " from unexpected source, " + packet.source()));
                return;
            }
            if (!payload.matches(index, packet.packet())) {
                done.completeExceptionally(new ProbeFailure("error receiving from \"" + p.toNode.name()
                        + "\": unexpected data packet " + index + " (out of " + payload.count + ")"));
                return;
            }
            received[0] = index + 1;
            if (received[0] == payload.count) {
                done.complete(null);
                return;
            }
            inFlight.decrementAndGet();
            p.from.client.channel().eventLoop().execute(sendMore[0]);
        };
        p.to.closed = why -> done.completeExceptionally(new ProbeFailure("error receiving from \"" + p.toNode.name()
                + "\": after " + received[0] + " data packets: " + why));
        p.from.closed = why -> done.completeExceptionally(new ProbeFailure("error sending via \"" + p.fromNode.name()
                + "\": " + why));
        run.onEnd(() -> done.completeExceptionally(new ProbeFailure("timeout: received " + received[0] + " of "
                + payload.count + " data packets from \"" + p.fromNode.name() + "\" at \"" + p.toNode.name() + "\"")));
        p.from.client.channel().eventLoop().execute(sendMore[0]);
        return done;
    }

    /** A sum that only grows, read by the metrics writer on another thread. */
    static final class DoubleCounter {
        private final java.util.concurrent.atomic.DoubleAdder adder = new java.util.concurrent.atomic.DoubleAdder();

        void add(double v) {
            adder.add(v);
        }

        double get() {
            return adder.sum();
        }
    }

    /** State of one queuing-delay probe across its (continuous) attempts. */
    static final class QueuingDelay {
        private final int packetsPerSecond;
        private final Duration packetTimeout;
        private final int capacity;
        private final long[] buckets = new long[QD_BUCKETS.length];
        private long count;
        private double sum;
        private long dropped;

        QueuingDelay(int packetsPerSecond, Duration packetTimeout) {
            this.packetsPerSecond = packetsPerSecond;
            this.packetTimeout = packetTimeout;
            this.capacity = (int) Math.ceil(packetsPerSecond * (packetTimeout.toNanos() / 1e9)) + 1;
        }

        synchronized void observe(double seconds) {
            count++;
            sum += seconds;
            for (int i = 0; i < QD_BUCKETS.length; i++) {
                if (seconds <= QD_BUCKETS[i]) {
                    buckets[i]++;
                }
            }
        }

        synchronized void drop(int n) {
            dropped += n;
        }

        synchronized void metrics(ProbeClass.PromSink out, Map<String, String> labels) {
            out.counter("derp_qd_probe_dropped_packets", "Total packets dropped", labels, dropped);
            out.histogram("derp_qd_probe_delays_seconds", "Distribution of queuing delays", labels, QD_BUCKETS,
                    buckets.clone(), sum, count);
        }

        private record Sent(long seq, long atNanos) {
        }

        /** Sends until the attempt fails or ends; never completes normally by itself. */
        CompletableFuture<Void> measure(Pair p, ProbeRun run) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            NodePublicKey fromKey = p.from.client.publicKey();
            NodePublicKey toKey = p.to.client.publicKey();
            Deque<Sent> sent = new ArrayDeque<>(capacity);
            byte[] template = new byte[QD_PACKET_SIZE];
            ThreadLocalRandom.current().nextBytes(template);
            long timeoutNanos = packetTimeout.toNanos();
            long[] seq = {0};
            Runnable expire = () -> {
                long now = System.nanoTime();
                int n = 0;
                synchronized (sent) {
                    while (!sent.isEmpty() && now - sent.peekFirst().atNanos() >= timeoutNanos) {
                        sent.removeFirst();
                        n++;
                    }
                }
                if (n > 0) {
                    drop(n);
                }
            };
            var ticker = p.from.client.channel().eventLoop().scheduleAtFixedRate(() -> {
                if (done.isDone()) {
                    return;
                }
                expire.run();
                long s = seq[0]++;
                synchronized (sent) {
                    if (sent.size() == capacity) {
                        sent.removeFirst();
                        drop(1);
                    }
                    sent.addLast(new Sent(s, System.nanoTime()));
                }
                byte[] packet = template.clone();
                for (int i = 0; i < 8; i++) {
                    packet[i] = (byte) (s >>> (56 - 8 * i));
                }
                p.from.client.send(toKey, packet).addListener(f -> {
                    if (!f.isSuccess()) {
                        done.completeExceptionally(new ProbeFailure("error sending via \"" + p.fromNode.name()
                                + "\": sending packet " + Probe.message(f.cause())));
                    }
                });
            }, 0, 1_000_000_000L / packetsPerSecond, TimeUnit.NANOSECONDS);
            p.to.packets = packet -> {
                long now = System.nanoTime();
                if (!packet.source().equals(fromKey)) {
                    done.completeExceptionally(new ProbeFailure("error receiving from \"" + p.toNode.name()
                            + "\": got data packet from unexpected source, " + packet.source()));
                    return;
                }
                ByteBuf data = packet.packet();
                if (data.readableBytes() < 8) {
                    return;
                }
                long s = data.getLong(data.readerIndex());
                synchronized (sent) {
                    var it = sent.iterator();
                    while (it.hasNext()) {
                        Sent record = it.next();
                        if (record.seq() == s) {
                            observe((now - record.atNanos()) / 1e9);
                            it.remove();
                            break;
                        }
                        if (record.seq() > s) {
                            break; // already expired and counted as dropped
                        }
                    }
                }
            };
            p.to.closed = why -> done.completeExceptionally(new ProbeFailure("error receiving from \"" + p.toNode.name() + "\": " + why));
            p.from.closed = why -> done.completeExceptionally(new ProbeFailure("error sending via \"" + p.fromNode.name() + "\": " + why));
            run.onEnd(() -> {
                ticker.cancel(false);
                done.completeExceptionally(new ProbeFailure("stopped"));
            });
            done.whenComplete((v, e) -> ticker.cancel(false));
            return done;
        }
    }
}
