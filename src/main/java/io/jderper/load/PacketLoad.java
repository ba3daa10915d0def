package io.jderper.load;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameType;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Packet mode: N sender→receiver pairs, each a pair of DERP connections. Senders run on the client event loops and
 * write pre-framed SendPackets into pooled buffers (no per-packet objects); receivers read the stamp in place and
 * record the one-way latency into a per-receiver histogram. Only packets stamped inside the measured window count.
 */
final class PacketLoad {
    /** Rate mode: how often each loop's pacer looks for due packets. */
    private static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
    /** Rate mode: most packets a sender catches up with in one tick; beyond that they count as not offered. */
    private static final int MAX_BURST = 8;
    /** Flat-out mode: packets per buffer, and per turn on the event loop before letting others run. */
    private static final int BATCH = 8;
    private static final int TURN = 64;
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(300);

    private final LoadOptions o;
    private final LoadTool.Clients clients;
    private final PrintStream err;
    private final int frameLength;

    /** Set once before traffic starts; read by every sender and receiver. */
    private volatile Window window;
    /** The reconnect storm's span, for the pairs' latency while it lasts: start 0 = not begun, end 0 = still on. */
    private volatile long stormStart;
    private volatile long stormEnd;

    private boolean inStorm(long t) {
        long start = stormStart;
        long end = stormEnd;
        return start != 0 && t - start >= 0 && (end == 0 || t - end < 0);
    }

    record Window(long start, long end) {
        boolean contains(long t) {
            return t - start >= 0 && t - end < 0;
        }

        static boolean contains(Window w, long t) {
            return w != null && w.contains(t);
        }
    }

    PacketLoad(LoadOptions o, LoadTool.Clients clients, PrintStream err) {
        this.o = o;
        this.clients = clients;
        this.err = err;
        this.frameLength = FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH + o.size();
    }

    JsonLine run() throws Exception {
        JsonLine json = new JsonLine().put("mode", "packets").put("pairs", o.pairs()).put("size", o.size())
                .put("rate_per_pair", o.ratePerPair()).put("duration_s", seconds(o.duration().toNanos()))
                .put("warmup_s", seconds(o.warmup().toNanos())).put("threads", o.threads());
        List<Receiver> receivers = new ArrayList<>();
        List<Sender> senders = new ArrayList<>();
        List<EventLoop> loops = clients.loops();
        List<CompletableFuture<DerpClient>> rx = new ArrayList<>();
        for (int p = 0; p < o.pairs(); p++) {
            Receiver r = new Receiver(this);
            receivers.add(r);
            rx.add(clients.connect(NodePrivateKey.generate(), r, loops.get((p + 1) % loops.size())));
        }
        int failed = clients.awaitAll(rx, Duration.ofSeconds(60));
        List<CompletableFuture<DerpClient>> tx = new ArrayList<>();
        for (int p = 0; p < o.pairs() && failed == 0; p++) {
            receivers.get(p).client = rx.get(p).join();
            tx.add(clients.connect(NodePrivateKey.generate(), Receiver.IGNORE, loops.get(p % loops.size())));
        }
        failed += clients.awaitAll(tx, Duration.ofSeconds(60));
        json.put("connections_ok", rx.size() + tx.size() - failed).put("connections_failed", failed);
        if (clients.firstError() != null) {
            json.put("first_error", clients.firstError());
        }
        if (failed > 0) {
            return json.put("error", "could not connect every client");
        }
        for (int p = 0; p < o.pairs(); p++) {
            senders.add(new Sender(this, p, tx.get(p).join(), receivers.get(p).client.publicKey()));
        }

        ServerWatch server = new ServerWatch(o.serverPid());
        Storm storm = o.storm() > 0 ? new Storm(server, tx.get(0).join().serverKey()) : null;
        server.before();
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        Window w = new Window(t0 + o.warmup().toNanos(), t0 + o.warmup().toNanos() + o.duration().toNanos());
        window = w;
        List<ScheduledFuture<?>> pacers = new ArrayList<>();
        if (o.ratePerPair() > 0) {
            double perNano = o.ratePerPair() / 1e9;
            long spacing = (long) (1e9 / o.ratePerPair() / o.pairs());
            for (EventLoop loop : loops) {
                List<Sender> mine = new ArrayList<>();
                for (Sender s : senders) {
                    if (s.loop == loop) {
                        s.phase = t0 + s.pair * spacing;
                        mine.add(s);
                    }
                }
                if (!mine.isEmpty()) {
                    Pacer pacer = new Pacer(mine, perNano, w.end());
                    pacers.add(loop.scheduleAtFixedRate(pacer, Math.max(0, t0 - System.nanoTime()), TICK_NANOS,
                            TimeUnit.NANOSECONDS));
                }
            }
        } else {
            for (Sender s : senders) {
                s.startPump(t0, w.end());
            }
        }

        Progress progress = new Progress(o.progress(), err);
        sleepUntil(w.start(), () -> progress.maybePrint(senders, receivers, "warmup"));
        ServerWatch.Span cpu = server.startSpan();
        ProcStats.Sample selfStart = ProcStats.self();
        if (storm != null) {
            storm.start();
        }
        sleepUntil(w.end(), () -> progress.maybePrint(senders, receivers, "load"));
        // In-flight packets: wait until everything sent in the window arrived, or nothing has arrived for a while.
        Thread.sleep(20);
        long graceEnd = System.nanoTime() + GRACE_NANOS;
        long lastCount = -1;
        long lastChange = System.nanoTime();
        while (System.nanoTime() - graceEnd < 0) {
            long received = sum(receivers, true);
            long sent = sumSent(senders, true);
            if (received >= sent) {
                break;
            }
            if (received != lastCount) {
                lastCount = received;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > QUIET_NANOS) {
                break;
            }
            Thread.sleep(10);
        }
        cpu.end();
        ProcStats.Sample selfEnd = ProcStats.self();
        pacers.forEach(p -> p.cancel(false));

        LatencyHistogram latency = new LatencyHistogram();
        for (Receiver r : receivers) {
            latency.add(r.client.channel().eventLoop().submit(r::snapshot).get(10, TimeUnit.SECONDS));
        }
        long sent = sumSent(senders, true);
        long received = sum(receivers, true);
        long notOffered = 0;
        for (Sender s : senders) {
            notOffered += s.notOffered;
        }
        double secs = seconds(o.duration().toNanos());
        json.put("sent", sent).put("received", received).put("lost", Math.max(0, sent - received))
                .put("not_offered", notOffered)
                .put("offered_pkts_per_s", sent / secs)
                .put("pkts_per_s", received / secs)
                .put("mbit_per_s", received * (double) o.size() * 8 / secs / 1e6)
                .put("latency_p50_ms", latency.percentile(0.50) / 1e6)
                .put("latency_p99_ms", latency.percentile(0.99) / 1e6)
                .put("latency_max_ms", latency.max() / 1e6);
        if (selfStart != null && selfEnd != null) {
            json.put("loader_cpu_s", selfEnd.cpuSeconds() - selfStart.cpuSeconds());
        }
        cpu.report(json, received, "packet");
        if (storm != null) {
            storm.report(json, senders, receivers);
        }
        return json;
    }

    /**
     * The reconnect storm: {@code --storm} clients connect as fast as {@code --connect-concurrency} allows, from a
     * thread of its own (connecting blocks while the in-flight limit is reached), and stay connected to the end.
     */
    private final class Storm {
        private final ServerWatch server;
        private final List<NodePrivateKey> keys = new ArrayList<>();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private ServerWatch.Span cpu;
        private volatile int failed;

        Storm(ServerWatch server, NodePublicKey serverKey) {
            this.server = server;
            // Keys and their boxes with the server first, before any traffic: the storm measures the server. Real
            // clients do their X25519 on machines of their own; here it would take the CPU the server needs.
            NodePrivateKey shared = NodePrivateKey.generate();
            for (int i = 0; i < o.storm(); i++) {
                NodePrivateKey key = o.stormSameKey() ? shared : NodePrivateKey.generate();
                key.boxWith(serverKey);
                keys.add(key);
            }
        }

        void start() {
            Thread t = new Thread(this::connectAll, "load-storm");
            t.setDaemon(true);
            t.start();
        }

        private void connectAll() {
            try {
                List<EventLoop> loops = clients.stormLoops();
                FrameListener quiet = (c, f) -> {
                };
                cpu = server.startSpan();
                stormStart = System.nanoTime();
                List<CompletableFuture<DerpClient>> futures = new ArrayList<>(keys.size());
                for (int i = 0; i < keys.size(); i++) {
                    futures.add(clients.connect(keys.get(i), quiet, loops.get(i % loops.size())));
                }
                failed = clients.awaitAll(futures, Duration.ofSeconds(120));
                stormEnd = System.nanoTime();
                cpu.end();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }

        void report(JsonLine json, List<Sender> senders, List<Receiver> receivers) throws Exception {
            json.put("storm_clients", keys.size()).put("storm_same_key", o.stormSameKey());
            try {
                done.get(150, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                json.put("storm_error", "storm still connecting at the end of the run");
                return;
            }
            long sent = 0;
            long received = 0;
            for (Sender s : senders) {
                sent += s.inStorm;
            }
            LatencyHistogram latency = new LatencyHistogram();
            for (Receiver r : receivers) {
                received += r.inStorm;
                latency.add(r.client.channel().eventLoop().submit(r::stormSnapshot).get(10, TimeUnit.SECONDS));
            }
            double connectS = seconds(stormEnd - stormStart);
            json.put("storm_ok", keys.size() - failed).put("storm_failed", failed)
                    .put("storm_connect_s", connectS)
                    .put("storm_conns_per_s", (keys.size() - failed) / connectS)
                    .put("storm_pairs_sent", sent).put("storm_pairs_lost", Math.max(0, sent - received))
                    .put("storm_pairs_latency_p50_ms", latency.percentile(0.50) / 1e6)
                    .put("storm_pairs_latency_p99_ms", latency.percentile(0.99) / 1e6)
                    .put("storm_pairs_latency_max_ms", latency.max() / 1e6);
            if (server.enabled() && !Double.isNaN(cpu.cpuSeconds())) {
                double stormCpu = cpu.cpuSeconds();
                json.put("storm_server_cpu_s", stormCpu)
                        .put("storm_server_cpu_cores", stormCpu / connectS);
                int ok = keys.size() - failed;
                if (ok > 0) {
                    // Includes the relaying pairs' share during the storm; subtract it with the packet figure.
                    json.put("storm_server_cpu_us_per_conn", stormCpu * 1e6 / ok);
                }
            }
        }
    }

    private static void sleepUntil(long deadline, Runnable tick) throws InterruptedException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            tick.run();
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }

    private static long sum(List<Receiver> receivers, boolean inWindow) {
        long n = 0;
        for (Receiver r : receivers) {
            n += inWindow ? r.inWindow : r.total;
        }
        return n;
    }

    private static long sumSent(List<Sender> senders, boolean inWindow) {
        long n = 0;
        for (Sender s : senders) {
            n += inWindow ? s.inWindow : s.total;
        }
        return n;
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    // ---------------------------------------------------------------- receiving

    static final class Receiver implements FrameListener {
        static final FrameListener IGNORE = (c, f) -> {
        };
        private static final int PACKET_OFFSET = FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH;

        private final PacketLoad load;
        private final LatencyHistogram histogram = new LatencyHistogram();
        DerpClient client;
        private final LatencyHistogram stormHistogram = new LatencyHistogram();
        volatile long total;
        volatile long inWindow;
        volatile long inStorm;
        volatile long foreign;

        Receiver(PacketLoad load) {
            this.load = load;
        }

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (!(frame instanceof Frame.RecvPacket)) {
                return;
            }
            ByteBuf f = ((Frame.RecvPacket) frame).frame();
            int at = f.readerIndex() + PACKET_OFFSET;
            if (!PacketStamp.valid(f, at, f.writerIndex() - at)) {
                foreign++;
                return;
            }
            long now = System.nanoTime();
            long stamp = PacketStamp.nanos(f, at);
            total++;
            if (Window.contains(load.window, stamp)) {
                inWindow++;
                histogram.record(now - stamp);
            }
            if (load.inStorm(stamp)) {
                inStorm++;
                stormHistogram.record(now - stamp);
            }
        }

        /** Runs on the receiver's event loop. */
        LatencyHistogram stormSnapshot() {
            LatencyHistogram h = new LatencyHistogram();
            h.add(stormHistogram);
            return h;
        }

        /** Runs on the receiver's event loop. */
        LatencyHistogram snapshot() {
            LatencyHistogram h = new LatencyHistogram();
            h.add(histogram);
            return h;
        }
    }

    // ---------------------------------------------------------------- sending

    static final class Sender extends ChannelInboundHandlerAdapter implements Runnable {
        final int pair;
        final Channel channel;
        final EventLoop loop;
        private final PacketLoad load;
        private final byte[] header;
        long phase;
        long issued;
        long seq;
        volatile long total;
        volatile long inWindow;
        volatile long inStorm;
        volatile long notOffered;
        volatile boolean stopped;
        private long stopAt;
        private boolean pumping;

        Sender(PacketLoad load, int pair, DerpClient client, NodePublicKey destination) {
            this.load = load;
            this.pair = pair;
            this.channel = client.channel();
            this.loop = channel.eventLoop();
            ByteBuf h = io.netty.buffer.Unpooled.buffer(FrameType.HEADER_LENGTH + FrameType.KEY_LENGTH);
            h.writeByte(FrameType.SEND_PACKET).writeInt(FrameType.KEY_LENGTH + load.o.size());
            destination.writeTo(h);
            this.header = new byte[h.readableBytes()];
            h.readBytes(header);
        }

        /** Writes {@code n} packets in one buffer stamped {@code now}; the caller flushes. */
        void write(int n, long now) {
            int frameLength = load.frameLength;
            ByteBuf b = channel.alloc().directBuffer(n * frameLength);
            for (int i = 0; i < n; i++) {
                int start = b.writerIndex();
                b.writeBytes(header);
                PacketStamp.write(b, start + header.length, pair, seq++, now);
                b.writerIndex(start + frameLength);
            }
            channel.write(b, channel.voidPromise());
            total += n;
            if (Window.contains(load.window, now)) {
                inWindow += n;
            }
            if (load.inStorm(now)) {
                inStorm += n;
            }
        }

        // Flat-out mode: keep the socket full, yielding to the loop's other channels after every turn.

        void startPump(long startAt, long stopAt) {
            this.stopAt = stopAt;
            channel.pipeline().addLast("load.writability", this);
            loop.schedule(this, Math.max(0, startAt - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            pumping = false;
            long now = System.nanoTime();
            if (now - stopAt >= 0 || !channel.isActive()) {
                stopped = true;
                return;
            }
            int budget = TURN;
            while (budget > 0 && channel.isWritable()) {
                int n = Math.min(BATCH, budget);
                write(n, now);
                budget -= n;
                now = System.nanoTime();
            }
            channel.flush();
            if (channel.isWritable()) {
                resume();
            }
        }

        private void resume() {
            if (!pumping) {
                pumping = true;
                loop.execute(this);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && !stopped) {
                resume();
            }
            ctx.fireChannelWritabilityChanged();
        }
    }

    /** Rate mode: one per event loop; each tick writes every sender's due packets with one flush per sender. */
    private static final class Pacer implements Runnable {
        private final List<Sender> senders;
        private final double perNano;
        private final long stopAt;

        Pacer(List<Sender> senders, double perNano, long stopAt) {
            this.senders = senders;
            this.perNano = perNano;
            this.stopAt = stopAt;
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            boolean over = now - stopAt >= 0;
            for (int i = 0; i < senders.size(); i++) {
                Sender s = senders.get(i);
                if (over) {
                    s.stopped = true;
                    continue;
                }
                long elapsed = now - s.phase;
                if (elapsed < 0) {
                    continue;
                }
                long due = (long) (elapsed * perNano) + 1 - s.issued;
                if (due <= 0) {
                    continue;
                }
                int n = (int) Math.min(due, MAX_BURST);
                s.issued += due;
                if (!s.channel.isWritable() || !s.channel.isActive()) {
                    s.notOffered += due;
                    continue;
                }
                s.notOffered += due - n;
                s.write(n, now);
                s.channel.flush();
            }
        }
    }

    // ---------------------------------------------------------------- progress

    private static final class Progress {
        private final long intervalNanos;
        private final PrintStream err;
        private final long started = System.nanoTime();
        private long last = System.nanoTime();
        private long lastSent;
        private long lastReceived;

        Progress(Duration interval, PrintStream err) {
            this.intervalNanos = interval.toNanos();
            this.err = err;
        }

        void maybePrint(List<Sender> senders, List<Receiver> receivers, String phase) {
            long now = System.nanoTime();
            if (intervalNanos == 0 || now - last < intervalNanos) {
                return;
            }
            long sent = sumSent(senders, false);
            long received = sum(receivers, false);
            double dt = (now - last) / 1e9;
            err.printf(Locale.ROOT, "load: %5.1fs %-6s sent %9.0f/s  received %9.0f/s  total sent %d received %d%n",
                    (now - started) / 1e9, phase, (sent - lastSent) / dt, (received - lastReceived) / dt, sent, received);
            last = now;
            lastSent = sent;
            lastReceived = received;
        }
    }
}
