package io.jderper.load;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code jderper load --mesh-propagation N}: how long a sibling takes to learn a client. Two meshed nodes: a sender on
 * node A ({@code --url}) sends small stamped packets to a key every {@code --probe-interval} while a client with that
 * key connects to node B ({@code --peer-url}). The figure of a round is the send stamp of the first packet that
 * reaches the client, minus the moment the client's handshake with B completed (0 if A already delivered by then,
 * counted as {@code new_known_at_handshake}: B announces a client before it sends ServerInfo). The move case first
 * connects the key to A, then connects it to B and at once closes it on A: the figure is the first packet reaching it
 * on B, from that moment. Every stamp is taken on an event loop where the event happens (probes as they are written
 * on the sender's loop, handshakes as ServerInfo is opened), and the results are futures completed there, so neither
 * a polling thread nor the main thread's wake-up enters the figures; their resolution is the probe interval.
 */
final class MeshPropagation {
    static final int MAX_ROUNDS = 10_000;
    private static final int STAMP = 16;

    record Options(URI url, URI peerUrl, int rounds, Duration probeInterval, Duration roundTimeout) {
    }

    static final String USAGE = """
            usage: jderper load --mesh-propagation N --url URL --peer-url URL [options]
              --mesh-propagation N        rounds of each case (new client, moved client), 1..%d
              --url URL                   node A: the sender's node (default http://127.0.0.1:3340/derp)
              --peer-url URL              node B, meshed with A: where the measured clients connect
              --probe-interval D          time between probe packets, the figures' resolution (default 100us)
              --round-timeout D           give a round up after this long (default 2s)
              --allow-remote              permit non-loopback targets
            Prints one JSON line on stdout at the end: per case min/p50/p90/p99/max in ms and the rounds within
            1 ms; new_known_at_handshake counts rounds where A delivered before the client's handshake with B ended.
            """.formatted(MAX_ROUNDS);

    /** True when {@code args} select this mode. */
    static boolean selected(String[] args) {
        for (String a : args) {
            if (a.equals("--mesh-propagation") || a.startsWith("--mesh-propagation=")) {
                return true;
            }
        }
        return false;
    }

    static Options parse(String[] args) {
        URI url = URI.create("http://127.0.0.1:3340/derp");
        URI peer = null;
        int rounds = 0;
        Duration interval = Duration.ofNanos(100_000);
        Duration timeout = Duration.ofSeconds(2);
        boolean allowRemote = false;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + name + "'");
            }
            name = name.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.equals("allow-remote")) {
                allowRemote = value == null || Boolean.parseBoolean(value);
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "mesh-propagation" -> {
                    try {
                        rounds = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--mesh-propagation must be a number, got '" + value + "'");
                    }
                    if (rounds < 1 || rounds > MAX_ROUNDS) {
                        throw new IllegalArgumentException("--mesh-propagation must be 1.." + MAX_ROUNDS + ", got " + rounds);
                    }
                }
                case "url" -> url = URI.create(value);
                case "peer-url" -> peer = URI.create(value);
                case "probe-interval" -> interval = bounded(name, value, Duration.ofNanos(10_000), Duration.ofMillis(100));
                case "round-timeout" -> timeout = bounded(name, value, Duration.ofMillis(10), Duration.ofSeconds(60));
                default -> throw new IllegalArgumentException("unknown option --" + name + " in mesh-propagation mode");
            }
        }
        if (peer == null) {
            throw new IllegalArgumentException("--peer-url is required with --mesh-propagation");
        }
        for (URI u : new URI[]{url, peer}) {
            String scheme = u.getScheme() == null ? "" : u.getScheme();
            if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("ws") && !scheme.equals("wss")) {
                throw new IllegalArgumentException("URLs must be http://, https://, ws:// or wss://, got " + u);
            }
            if (u.getHost() == null) {
                throw new IllegalArgumentException("URL has no host: " + u);
            }
            if (!allowRemote && !LoadOptions.isLoopback(u.getHost())) {
                throw new IllegalArgumentException(u.getHost() + " is not a loopback address (add --allow-remote)");
            }
        }
        return new Options(url, peer, rounds, interval, timeout);
    }

    private static Duration bounded(String name, String value, Duration min, Duration max) {
        String v = value.trim();
        Duration d = v.endsWith("us")
                ? Duration.ofNanos(parseMicros(name, v.substring(0, v.length() - 2)))
                : LoadOptions.parseDuration(name, v);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException("--" + name + " must be " + min + ".." + max + ", got " + value);
        }
        return d;
    }

    private static long parseMicros(String name, String v) {
        try {
            return Long.parseLong(v) * 1000;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a duration like 100us or 1ms, got '" + v + "us'");
        }
    }

    private final Options o;
    private final EventLoopGroup group;
    private final DerpClientOptions clientOptions;
    private final PrintStream err;

    MeshPropagation(Options o, EventLoopGroup group, PrintStream err) {
        this.o = o;
        this.group = group;
        this.err = err;
        DerpClientOptions opts = DerpClientOptions.defaults().withConnectTimeout(Duration.ofSeconds(10));
        if (o.url().getScheme().startsWith("https") || o.url().getScheme().startsWith("wss")) {
            try {
                // Loopback measurement of the node's own certificate: identity is not what is measured.
                opts = opts.withSslContext(SslContextBuilder.forClient()
                        .trustManager(InsecureTrustManagerFactory.INSTANCE).build());
            } catch (SSLException e) {
                throw new IllegalStateException("cannot build a TLS client context: " + e.getMessage(), e);
            }
        }
        this.clientOptions = opts;
    }

    /** Receives the probe packets for one key and completes with the send stamp of the first one, on its loop. */
    private static final class Receiver implements FrameListener {
        final CompletableFuture<Long> firstStamp = new CompletableFuture<>();

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (frame instanceof Frame.RecvPacket p && !firstStamp.isDone()) {
                ByteBuf f = p.frame();
                if (f.readableBytes() >= p.packetOffset() + STAMP) {
                    firstStamp.complete(f.getLong(f.readerIndex() + p.packetOffset()));
                }
            }
        }
    }

    JsonLine run() throws Exception {
        DerpClient sender = DerpClient.connect(o.url(), NodePrivateKey.generate(), clientOptions, (c, f) -> {
        }, group.next()).get(15, TimeUnit.SECONDS);
        try {
            // A few unmeasured rounds first: JIT and pools on both nodes and here.
            int warm = Math.min(5, o.rounds());
            for (int i = 0; i < warm; i++) {
                newClientRound(sender);
                moveRound(sender);
            }
            long[] fresh = new long[o.rounds()];
            long[] moved = new long[o.rounds()];
            int timeouts = 0;
            int knownAtHandshake = 0;
            for (int i = 0; i < o.rounds(); i++) {
                fresh[i] = newClientRound(sender);
                moved[i] = moveRound(sender);
                knownAtHandshake += fresh[i] == 0 ? 1 : 0;
                timeouts += (fresh[i] < 0 ? 1 : 0) + (moved[i] < 0 ? 1 : 0);
                if (o.rounds() >= 10 && (i + 1) % (o.rounds() / 10) == 0) {
                    err.printf("mesh propagation: %d/%d rounds%n", i + 1, o.rounds());
                }
            }
            JsonLine json = new JsonLine().put("mode", "mesh-propagation").put("rounds", o.rounds())
                    .put("probe_interval_us", o.probeInterval().toNanos() / 1000.0);
            summary(json, "new", fresh);
            json.put("new_known_at_handshake", knownAtHandshake);
            summary(json, "move", moved);
            return json.put("timeouts", timeouts);
        } finally {
            sender.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static void summary(JsonLine json, String name, long[] nanos) {
        long[] ok = Arrays.stream(nanos).filter(n -> n >= 0).sorted().toArray();
        if (ok.length == 0) {
            json.put(name + "_p50_ms", Double.NaN);
            return;
        }
        long underOneMs = Arrays.stream(ok).filter(n -> n <= 1_000_000).count();
        json.put(name + "_within_1ms", underOneMs).put(name + "_min_ms", ok[0] / 1e6)
                .put(name + "_p50_ms", ok[(ok.length - 1) / 2] / 1e6)
                .put(name + "_p90_ms", ok[Math.min(ok.length - 1, (int) Math.ceil(ok.length * 0.90) - 1)] / 1e6)
                .put(name + "_p99_ms", ok[Math.min(ok.length - 1, (int) Math.ceil(ok.length * 0.99) - 1)] / 1e6)
                .put(name + "_max_ms", ok[ok.length - 1] / 1e6);
    }

    /**
     * A fresh key connects to B; returns nanoseconds from the client's handshake completing (stamped on its event
     * loop as ServerInfo is opened) to the send stamp of the first probe A delivered to it, 0 if A delivered before
     * that, or -1 on timeout.
     */
    private long newClientRound(DerpClient sender) throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        Receiver r = new Receiver();
        Prober prober = new Prober(sender, key.publicKey());
        prober.start();
        CompletableFuture<DerpClient> connecting = DerpClient.connect(o.peerUrl(), key, clientOptions, r, group.next());
        // Attached before the handshake can finish, so it runs on the client's loop the moment it does.
        CompletableFuture<Long> connectedAt = connecting.thenApply(c -> System.nanoTime());
        DerpClient there = null;
        try {
            there = connecting.get(10, TimeUnit.SECONDS);
            return since(connectedAt.get(), r.firstStamp);
        } finally {
            prober.stop();
            if (there != null) {
                there.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A key first on A (A delivers to it locally), then on B, and the moment its handshake with B completes its
     * connection to A is closed, on the event loop: returns nanoseconds from then to the send stamp of the first
     * probe A delivered to it on B, or -1.
     */
    private long moveRound(DerpClient sender) throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        Receiver onA = new Receiver();
        // Both connections of the key on one loop, so that the close below is issued directly, not as a task.
        EventLoop loop = group.next();
        DerpClient here = DerpClient.connect(o.url(), key, clientOptions, onA, loop).get(10, TimeUnit.SECONDS);
        Receiver onB = new Receiver();
        Prober prober = new Prober(sender, key.publicKey());
        DerpClient there = null;
        try {
            prober.start();
            if (since(System.nanoTime(), onA.firstStamp) < 0) {
                return -1;
            }
            CompletableFuture<DerpClient> connecting = DerpClient.connect(o.peerUrl(), key, clientOptions, onB, loop);
            CompletableFuture<Long> movedAt = connecting.thenApply(c -> {
                long t = System.nanoTime();
                here.close();
                return t;
            });
            there = connecting.get(10, TimeUnit.SECONDS);
            return since(movedAt.get(), onB.firstStamp);
        } finally {
            prober.stop();
            here.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (there != null) {
                there.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Nanoseconds from {@code from} to the first delivered probe's send stamp (0 if before), or -1 on timeout. */
    private long since(long from, CompletableFuture<Long> firstStamp) throws Exception {
        try {
            return Math.max(0, firstStamp.get(o.roundTimeout().toNanos(), TimeUnit.NANOSECONDS) - from);
        } catch (TimeoutException e) {
            return -1;
        }
    }

    /**
     * Sends a packet to one key every probe interval from the sender's own event loop, stamped as it is written: no
     * thread of its own to be scheduled late, no hand-over between stamping and writing.
     */
    private final class Prober {
        private final DerpClient sender;
        private final NodePublicKey dst;
        private ScheduledFuture<?> task;

        Prober(DerpClient sender, NodePublicKey dst) {
            this.sender = sender;
            this.dst = dst;
        }

        void start() {
            Channel ch = sender.channel();
            task = ch.eventLoop().scheduleWithFixedDelay(() -> {
                ByteBuf b = ch.alloc().buffer(STAMP);
                b.writeLong(System.nanoTime()).writeLong(0);
                sender.send(dst, b);
            }, 0, o.probeInterval().toNanos(), TimeUnit.NANOSECONDS);
        }

        void stop() {
            task.cancel(false);
        }
    }
}
