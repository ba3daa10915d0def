package io.jderper.load;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;

/**
 * Command line of {@code jderper load}. Everything is bounded: durations, counts and sizes have ceilings so a typo
 * cannot turn the tool into an unbounded flood.
 *
 * @param url                 DERP endpoint ({@code http://127.0.0.1:3340/derp} by default)
 * @param pairs               sender→receiver pairs (packet mode)
 * @param idle                connections to open and hold (idle mode); 0 selects packet mode
 * @param size                packet payload bytes (the DERP frame adds 37)
 * @param ratePerPair         packets per second per pair; 0 = as fast as the sockets take them
 * @param duration            measured window (packet mode) or hold time after all connected (idle mode)
 * @param warmup              packet mode: traffic before the window starts (JIT, pools), not counted
 * @param threads             client event loop threads
 * @param serverPid           server process to read CPU time and RSS of, or 0
 * @param connectConcurrency  idle mode: handshakes in flight at once
 * @param idleWarmup          idle mode: connections opened and closed before measuring (JIT, pools)
 * @param progress            interval of the progress line on stderr; zero disables it
 * @param allowRemote         permits a non-loopback target (off: the tool refuses to load anything but this host)
 * @param storm               packet mode: clients that connect all at once when the measured window opens (a
 *                            reconnect storm next to the relaying pairs); 0 = none
 * @param stormSameKey        the storm's clients all use one key (one client reconnecting over and over)
 */
record LoadOptions(URI url, int pairs, int idle, int size, int ratePerPair, Duration duration, Duration warmup,
                   int threads, long serverPid, int connectConcurrency, int idleWarmup, Duration progress,
                   boolean allowRemote, int storm, boolean stormSameKey) {

    static final int MIN_SIZE = PacketStamp.LENGTH;
    static final int MAX_SIZE = 64 << 10;
    static final Duration MAX_DURATION = Duration.ofHours(1);
    static final int MAX_PAIRS = 10_000;
    static final int MAX_IDLE = 100_000;

    static final String USAGE = """
            usage: jderper load [options]
              --url URL                   DERP endpoint (default http://127.0.0.1:3340/derp); with https:// or
                                          wss:// the server's certificate is not checked (loopback only)
              --pairs N                   sender->receiver pairs (default 1)
              --size BYTES                packet size, %d..%d (default 1200)
              --rate PKTS                 packets/s per pair; 0 = flat out (default 0)
              --duration D                measured window, e.g. 10s (default 10s, at most 1h)
              --warmup D                  unmeasured traffic before the window (default 2s)
              --idle N                    idle mode: open N connections and hold them for --duration
              --connect-concurrency N     idle and storm: handshakes in flight (default 64)
              --idle-warmup N             idle mode: open and close N connections first (default 0)
              --storm N                   packet mode: N more clients connect at once as the window opens
                                          (a reconnect storm); reports its duration, the server's CPU and
                                          the pairs' latency and loss while it lasts
              --storm-same-key            the storm's clients all share one key
              --threads N                 client event loop threads (default 2)
              --server-pid PID            report the server's CPU seconds and RSS from /proc
              --progress D                progress line interval on stderr, 0 = off (default 1s)
              --allow-remote              permit a non-loopback target
              --mesh-propagation N        mesh mode: how fast two meshed nodes learn clients (see --mesh-propagation --help)
            Prints one JSON line on stdout at the end. The tool's own Netty transport is chosen as the server's is:
            java -Dderper.transport=auto|io_uring|epoll|nio -jar jderper.jar load ... (default auto).
            Idle and storm clients make their keys and their boxes with the server before the measured span, so
            the span measures the server's X25519s and not the tool's.
            """.formatted(MIN_SIZE, MAX_SIZE);

    boolean tls() {
        return url.getScheme().equalsIgnoreCase("https") || url.getScheme().equalsIgnoreCase("wss");
    }

    boolean idleMode() {
        return idle > 0;
    }

    static LoadOptions parse(String[] args) {
        URI url = URI.create("http://127.0.0.1:3340/derp");
        int pairs = 1;
        int idle = 0;
        int size = 1200;
        int rate = 0;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(2);
        int threads = 2;
        long pid = 0;
        int concurrency = 64;
        int idleWarmup = 0;
        Duration progress = Duration.ofSeconds(1);
        boolean allowRemote = false;
        int storm = 0;
        boolean stormSameKey = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
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
            if (name.equals("storm-same-key")) {
                stormSameKey = value == null || Boolean.parseBoolean(value);
                continue;
            }
            if (name.equals("help")) {
                throw new IllegalArgumentException("help requested");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "url" -> url = URI.create(value);
                case "pairs" -> pairs = intIn(name, value, 1, MAX_PAIRS);
                case "idle" -> idle = intIn(name, value, 0, MAX_IDLE);
                case "size" -> size = intIn(name, value, MIN_SIZE, MAX_SIZE);
                case "rate" -> rate = intIn(name, value, 0, 10_000_000);
                case "duration" -> duration = durationIn(name, value, Duration.ofMillis(1));
                case "warmup" -> warmup = durationIn(name, value, Duration.ZERO);
                case "threads" -> threads = intIn(name, value, 1, 64);
                case "server-pid" -> pid = intIn(name, value, 0, Integer.MAX_VALUE);
                case "connect-concurrency" -> concurrency = intIn(name, value, 1, 4096);
                case "idle-warmup" -> idleWarmup = intIn(name, value, 0, MAX_IDLE);
                case "progress" -> progress = durationIn(name, value, Duration.ZERO);
                case "storm" -> storm = intIn(name, value, 0, MAX_IDLE);
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("ws") && !scheme.equals("https") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("--url must be http://, https://, ws:// or wss://");
        }
        if (url.getHost() == null) {
            throw new IllegalArgumentException("--url has no host: " + url);
        }
        if (!allowRemote && !isLoopback(url.getHost())) {
            throw new IllegalArgumentException("--url " + url.getHost() + " is not a loopback address (add --allow-remote)");
        }
        if (storm > 0 && idle > 0) {
            throw new IllegalArgumentException("--storm runs next to packet pairs; it cannot be combined with --idle");
        }
        return new LoadOptions(url, pairs, idle, size, rate, duration, warmup, threads, pid, concurrency, idleWarmup,
                progress, allowRemote, storm, stormSameKey);
    }

    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host.replace("[", "").replace("]", ""))) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--url host " + host + " does not resolve");
        }
    }

    private static int intIn(String name, String value, int min, int max) {
        long v;
        try {
            v = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a number, got '" + value + "'");
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("--" + name + " must be " + min + ".." + max + ", got " + v);
        }
        return (int) v;
    }

    private static Duration durationIn(String name, String value, Duration min) {
        Duration d = parseDuration(name, value);
        if (d.compareTo(min) < 0 || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("--" + name + " must be " + min + ".." + MAX_DURATION + ", got " + value);
        }
        return d;
    }

    /** {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h}, or a bare number of seconds. */
    static Duration parseDuration(String name, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofNanos((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1e9));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            if (v.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofNanos((long) (Double.parseDouble(v) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a duration like 10s or 500ms, got '" + value + "'");
        }
    }
}
