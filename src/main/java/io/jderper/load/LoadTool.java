package io.jderper.load;

import io.jderper.client.ClientEventLoops;
import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.EventExecutor;

import javax.net.ssl.SSLException;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code jderper load}: a bounded, self-stopping load generator for a DERP server, built on the project's own
 * client. Packet mode relays stamped packets between pairs of connections; idle mode holds many quiet connections.
 * The result is one JSON line on stdout; a progress line goes to stderr while it runs.
 */
public final class LoadTool {

    private LoadTool() {
    }

    /** Command-line entry (from {@code JderperApplication}); returns the process exit code. */
    public static int run(String[] args) {
        // The generator must not spend the shared cores on leak tracking unless asked to.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        return run(args, System.out, System.err);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (MeshPropagation.selected(args)) {
            return runMeshPropagation(args, out, err);
        }
        LoadOptions o;
        try {
            o = LoadOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("jderper load: " + e.getMessage());
            err.print(LoadOptions.USAGE);
            return 2;
        }
        EventLoopGroup group = ClientEventLoops.newGroup(o.threads(), "derp-load");
        // The storm's clients get loops of their own: their handshakes (an X25519 each, on the client side too) would
        // otherwise delay the pairs' packets inside the tool and show up as the server's latency.
        EventLoopGroup stormGroup = o.storm() > 0 ? ClientEventLoops.newGroup(o.threads(), "derp-load-storm") : null;
        Clients clients = new Clients(o, group, stormGroup);
        try {
            JsonLine json = o.idleMode() ? new IdleLoad(o, clients, err).run() : new PacketLoad(o, clients, err).run();
            out.println(json);
            out.flush();
            return json.toString().contains("\"error\":") ? 1 : 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("jderper load: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("jderper load: " + e);
            return 1;
        } finally {
            clients.closeAll(Duration.ofSeconds(30));
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            if (stormGroup != null) {
                stormGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int runMeshPropagation(String[] args, PrintStream out, PrintStream err) {
        MeshPropagation.Options o;
        try {
            o = MeshPropagation.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("jderper load: " + e.getMessage());
            err.print(MeshPropagation.USAGE);
            return 2;
        }
        EventLoopGroup group = ClientEventLoops.newGroup(2, "derp-load");
        try {
            JsonLine json = new MeshPropagation(o, group, err).run();
            out.println(json);
            out.flush();
            return json.toString().contains("\"timeouts\":0") ? 0 : 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("jderper load: interrupted");
            return 1;
        } catch (Exception e) {
            err.println("jderper load: " + e);
            return 1;
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    /** Connections the tool opened, with a cap on handshakes in flight. */
    static final class Clients {
        private final LoadOptions o;
        private final EventLoopGroup group;
        private final EventLoopGroup stormGroup;
        private final DerpClientOptions options;
        private final Semaphore inFlight;
        private final ConcurrentLinkedQueue<DerpClient> open = new ConcurrentLinkedQueue<>();
        private volatile String firstError;

        Clients(LoadOptions o, EventLoopGroup group, EventLoopGroup stormGroup) {
            this.o = o;
            this.group = group;
            this.stormGroup = stormGroup == null ? group : stormGroup;
            this.inFlight = new Semaphore(o.connectConcurrency());
            DerpClientOptions opts = DerpClientOptions.defaults().withConnectTimeout(Duration.ofSeconds(30));
            if (o.tls()) {
                // Load runs against this host's own server (often a self-signed IP certificate): identity is not the
                // question being measured.
                try {
                    opts = opts.withSslContext(SslContextBuilder.forClient()
                            .trustManager(InsecureTrustManagerFactory.INSTANCE).build());
                } catch (SSLException e) {
                    throw new IllegalStateException("cannot build a TLS client context: " + e.getMessage(), e);
                }
            }
            this.options = opts;
        }

        List<EventLoop> loops() {
            return loopsOf(group);
        }

        /** The storm clients' loops: apart from the pairs' when the run has a storm. */
        List<EventLoop> stormLoops() {
            return loopsOf(stormGroup);
        }

        private static List<EventLoop> loopsOf(EventLoopGroup g) {
            List<EventLoop> loops = new ArrayList<>();
            for (EventExecutor e : g) {
                loops.add((EventLoop) e);
            }
            return loops;
        }

        CompletableFuture<DerpClient> connect(NodePrivateKey key, FrameListener listener, EventLoop loop) {
            inFlight.acquireUninterruptibly();
            CompletableFuture<DerpClient> f;
            try {
                f = DerpClient.connect(o.url(), key, options, listener, loop);
            } catch (RuntimeException e) {
                inFlight.release();
                return CompletableFuture.failedFuture(e);
            }
            return f.whenComplete((c, e) -> {
                inFlight.release();
                if (c != null) {
                    open.add(c);
                } else if (firstError == null) {
                    firstError = String.valueOf(e);
                }
            });
        }

        /** Waits for every handshake (within {@code timeout} overall); returns how many failed. */
        int awaitAll(List<CompletableFuture<DerpClient>> futures, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int failed = 0;
            for (CompletableFuture<DerpClient> f : futures) {
                try {
                    f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    failed++;
                    if (firstError == null) {
                        firstError = String.valueOf(e.getCause() == null ? e : e.getCause());
                    }
                }
            }
            return failed;
        }

        String firstError() {
            return firstError;
        }

        void closeAll(Duration timeout) {
            List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
            for (DerpClient c : open) {
                closing.add(c.close());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (io.netty.channel.ChannelFuture f : closing) {
                f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            open.clear();
        }
    }
}
