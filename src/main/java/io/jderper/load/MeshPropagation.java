package io.jderper.load;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import javax.net.ssl.SSLException;
import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code jderper load --mesh-propagation N}: how long a sibling takes to learn a client. Two meshed nodes: a sender on
 * node A ({@code --url}) sends small stamped packets to a key every {@code --probe-interval} while a client with that
 * key connects to node B ({@code --peer-url}). The figure of a round is the send time of the first packet that reaches
 * the client, minus the moment the client's handshake with B completed (0 if A already knew it by then); its
 * resolution is the probe interval. The move case first connects the key to A, then connects it to B and at once
 * closes it on A: the figure is the first packet reaching it on B, from that moment.
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
            Prints one JSON line on stdout at the end.
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

    /** Receives the probe packets for one key and remembers the stamp of the first one. */
    private static final class Receiver implements FrameListener {
        volatile long firstStamp = Long.MIN_VALUE;

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (frame instanceof Frame.RecvPacket p && firstStamp == Long.MIN_VALUE) {
                ByteBuf f = p.frame();
                if (f.readableBytes() >= p.packetOffset() + STAMP) {
                    firstStamp = f.getLong(f.readerIndex() + p.packetOffset());
                }
            }
        }

        boolean got() {
            return firstStamp != Long.MIN_VALUE;
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
            for (int i = 0; i < o.rounds(); i++) {
                fresh[i] = newClientRound(sender);
                moved[i] = moveRound(sender);
                timeouts += (fresh[i] < 0 ? 1 : 0) + (moved[i] < 0 ? 1 : 0);
                if (o.rounds() >= 10 && (i + 1) % (o.rounds() / 10) == 0) {
                    err.printf("mesh propagation: %d/%d rounds%n", i + 1, o.rounds());
                }
            }
            JsonLine json = new JsonLine().put("mode", "mesh-propagation").put("rounds", o.rounds())
                    .put("probe_interval_us", o.probeInterval().toNanos() / 1000.0);
            summary(json, "new", fresh);
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

    /** A fresh key connects to B; returns nanoseconds until A delivers to it, or -1 on timeout. */
    private long newClientRound(DerpClient sender) throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        Receiver r = new Receiver();
        Prober prober = new Prober(sender, key.publicKey(), r);
        prober.start();
        DerpClient there = null;
        try {
            there = DerpClient.connect(o.peerUrl(), key, clientOptions, r, group.next()).get(10, TimeUnit.SECONDS);
            long connectedAt = System.nanoTime();
            return prober.awaitFirst(connectedAt);
        } finally {
            prober.stopAndJoin();
            if (there != null) {
                there.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A key first on A, then on B and closed on A at once; returns nanoseconds until A delivers to it on B, or -1. */
    private long moveRound(DerpClient sender) throws Exception {
        NodePrivateKey key = NodePrivateKey.generate();
        Receiver onA = new Receiver();
        DerpClient here = DerpClient.connect(o.url(), key, clientOptions, onA, group.next()).get(10, TimeUnit.SECONDS);
        Receiver onB = new Receiver();
        Prober prober = new Prober(sender, key.publicKey(), onA);
        DerpClient there = null;
        try {
            prober.start();
            if (prober.awaitFirst(System.nanoTime()) < 0) {
                return -1;
            }
            prober.watch(onB);
            there = DerpClient.connect(o.peerUrl(), key, clientOptions, onB, group.next()).get(10, TimeUnit.SECONDS);
            long movedAt = System.nanoTime();
            here.close();
            return prober.awaitFirst(movedAt);
        } finally {
            prober.stopAndJoin();
            here.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (there != null) {
                there.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A thread that sends a stamped packet to one key every probe interval until stopped. */
    private final class Prober extends Thread {
        private final DerpClient sender;
        private final NodePublicKey dst;
        private volatile Receiver watching;
        private volatile boolean stop;

        Prober(DerpClient sender, NodePublicKey dst, Receiver watching) {
            super("mesh-propagation-prober");
            setDaemon(true);
            this.sender = sender;
            this.dst = dst;
            this.watching = watching;
        }

        void watch(Receiver r) {
            watching = r;
        }

        @Override
        public void run() {
            long interval = o.probeInterval().toNanos();
            long next = System.nanoTime();
            while (!stop) {
                ByteBuf b = sender.channel().alloc().buffer(STAMP);
                b.writeLong(System.nanoTime()).writeLong(0);
                sender.send(dst, b);
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime();
                }
            }
        }

        /** Nanoseconds from {@code from} to the send stamp of the first delivered probe (0 if before), or -1. */
        long awaitFirst(long from) {
            long deadline = System.nanoTime() + o.roundTimeout().toNanos();
            Receiver r = watching;
            while (!r.got()) {
                if (System.nanoTime() > deadline) {
                    return -1;
                }
                LockSupport.parkNanos(20_000);
            }
            return Math.max(0, r.firstStamp - from);
        }

        void stopAndJoin() throws InterruptedException {
            stop = true;
            join(1000);
        }
    }
}
