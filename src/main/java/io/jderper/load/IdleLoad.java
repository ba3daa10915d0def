package io.jderper.load;

import io.jderper.client.DerpClient;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.netty.channel.EventLoop;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle mode: opens N DERP connections (bounded handshakes in flight), holds them without traffic, and reports what
 * they cost the server: CPU time spent setting them up and resident memory while they sit there.
 */
final class IdleLoad {
    private final LoadOptions o;
    private final LoadTool.Clients clients;
    private final PrintStream err;
    private static final int WARMUP_ROUND = 5000;

    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicInteger keepAlives = new AtomicInteger();

    IdleLoad(LoadOptions o, LoadTool.Clients clients, PrintStream err) {
        this.o = o;
        this.clients = clients;
        this.err = err;
    }

    JsonLine run() throws Exception {
        int n = o.idle();
        JsonLine json = new JsonLine().put("mode", "idle").put("connections", n)
                .put("hold_s", PacketLoad.seconds(o.duration().toNanos()));
        FrameListener listener = new FrameListener() {
            @Override
            public void onFrame(DerpClient c, Frame frame) {
                if (frame instanceof Frame.KeepAlive) {
                    keepAlives.incrementAndGet();
                }
            }

            @Override
            public void onClose(DerpClient c, Throwable cause) {
                closed.incrementAndGet();
            }
        };
        List<EventLoop> loops = clients.loops();
        if (o.idleWarmup() > 0) {
            warmUp(o.idleWarmup(), loops);
            json.put("idle_warmup", o.idleWarmup());
        }
        // Keys and their boxes with the server first, so that the set-up span measures the server rather than the
        // tool's X25519s (real clients do theirs on machines of their own).
        NodePublicKey serverKey = learnServerKey(loops.get(0));
        List<NodePrivateKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            NodePrivateKey key = NodePrivateKey.generate();
            key.boxWith(serverKey);
            keys.add(key);
        }
        ServerWatch server = new ServerWatch(o.serverPid());
        server.before();
        ProcStats.Sample selfStart = ProcStats.self();
        ServerWatch.Span setup = server.startSpan();
        long t0 = System.nanoTime();
        long lastPrint = t0;
        List<CompletableFuture<DerpClient>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            futures.add(clients.connect(keys.get(i), listener, loops.get(i % loops.size())));
            long now = System.nanoTime();
            if (progressDue(now, lastPrint)) {
                lastPrint = now;
                err.printf(Locale.ROOT, "load: %5.1fs connecting %d/%d%n", (now - t0) / 1e9, i + 1, n);
            }
        }
        int failed = clients.awaitAll(futures, Duration.ofSeconds(120));
        long connectNanos = System.nanoTime() - t0;
        setup.end();
        int ok = n - failed;
        json.put("connections_ok", ok).put("connections_failed", failed).put("connect_s", connectNanos / 1e9);
        if (clients.firstError() != null) {
            json.put("first_error", clients.firstError());
        }

        long holdEnd = System.nanoTime() + o.duration().toNanos();
        while (true) {
            long left = holdEnd - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            long now = System.nanoTime();
            if (progressDue(now, lastPrint)) {
                lastPrint = now;
                err.printf(Locale.ROOT, "load: %5.1fs holding %d open (%d closed)%n", (now - t0) / 1e9,
                        ok - closed.get(), closed.get());
            }
        }
        ProcStats.Sample held = server.sample();
        ProcStats.Sample selfEnd = ProcStats.self();
        json.put("connections_open_at_end", Math.max(0, ok - closed.get())).put("keepalives_received", keepAlives.get());
        if (selfStart != null && selfEnd != null) {
            json.put("loader_cpu_s", selfEnd.cpuSeconds() - selfStart.cpuSeconds());
        }
        if (server.enabled()) {
            ProcStats.Sample before = server.first();
            ProcStats.Sample connected = setup.endSample();
            json.put("server_pid", o.serverPid());
            if (before == null || connected == null || held == null) {
                json.put("server_error", "cannot read /proc/" + o.serverPid());
            } else {
                json.put("server_setup_cpu_s", setup.cpuSeconds())
                        .put("server_setup_user_s", setup.userSeconds())
                        .put("server_setup_sys_s", setup.cpuSeconds() - setup.userSeconds())
                        .put("server_setup_cpu_ms_per_conn", ok == 0 ? Double.NaN : setup.cpuSeconds() * 1e3 / ok)
                        .put("server_rss_kib_before", before.rssKiB())
                        .put("server_rss_kib_connected", connected.rssKiB())
                        .put("server_rss_kib_after", held.rssKiB())
                        .put("server_rss_kib_per_conn", ok == 0 ? Double.NaN : (held.rssKiB() - before.rssKiB()) / (double) ok)
                        .put("server_threads", held.threads());
            }
        }
        return json;
    }

    /**
     * Opens and closes {@code count} connections, at most {@value #WARMUP_ROUND} at a time, so the measured part sees
     * a server past its JIT warm-up (set-up CPU falls by more than half over the first tens of thousands).
     */
    private void warmUp(int count, List<EventLoop> loops) throws InterruptedException {
        FrameListener quiet = (c, f) -> {
        };
        for (int done = 0; done < count; ) {
            int round = Math.min(WARMUP_ROUND, count - done);
            List<CompletableFuture<DerpClient>> futures = new ArrayList<>(round);
            for (int i = 0; i < round; i++) {
                futures.add(clients.connect(NodePrivateKey.generate(), quiet, loops.get(i % loops.size())));
            }
            clients.awaitAll(futures, Duration.ofSeconds(120));
            clients.closeAll(Duration.ofSeconds(30));
            done += round;
            err.printf(Locale.ROOT, "load: warm-up %d/%d connections%n", done, count);
        }
        Thread.sleep(1000);
    }

    private NodePublicKey learnServerKey(EventLoop loop) throws Exception {
        FrameListener quiet = (c, f) -> {
        };
        NodePublicKey key = clients.connect(NodePrivateKey.generate(), quiet, loop).get(30, TimeUnit.SECONDS).serverKey();
        clients.closeAll(Duration.ofSeconds(30));
        return key;
    }

    private boolean progressDue(long now, long last) {
        long interval = o.progress().toNanos();
        return interval > 0 && now - last >= interval;
    }
}
