package io.jderper.http;

import io.jderper.client.Transport;
import io.jderper.config.BootstrapDnsProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Keeps the answers served at /bootstrap-dns: every ten minutes it resolves the published names
 * ({@code derper.bootstrap-dns.names}) and the unpublished ones ({@code derper.bootstrap-dns.unpublished-names},
 * {@code name} or {@code name/txtname}), each pass bounded by one minute.
 *
 * <p>Published address lists are shuffled once per refresh, so clients do not all favour the first
 * (often IPv6) address, and the JSON body is rendered once per refresh rather than per request. Names
 * that fail to resolve are left out; earlier answers are replaced wholesale, as the original does.
 */
@Component
public class BootstrapDnsResolver implements SmartLifecycle, DisposableBean {

    static final Duration REFRESH_INTERVAL = Duration.ofMinutes(10);
    static final Duration REFRESH_TIMEOUT = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(BootstrapDnsResolver.class);

    /** One configured entry; {@code txtName} is null when the name is rolled out to everyone. */
    record Entry(String name, String txtName) {
        static Entry parse(String text) {
            int slash = text.indexOf('/');
            if (slash < 0) {
                return new Entry(text, null);
            }
            String txt = text.substring(slash + 1);
            return new Entry(text.substring(0, slash), txt.isEmpty() ? null : txt);
        }
    }

    /** {@code ips} is null when every lookup failed (served as {@code null}). */
    record Published(Map<String, List<String>> ips, byte[] json) {
    }

    /** {@code percent} is 0.0 to 1.0; a name missing from it is rolled out to nobody. */
    record Unpublished(Map<String, List<String>> ips, Map<String, Double> percent) {
        double percentFor(String name) {
            Double p = percent.get(name);
            return p == null ? 0 : p;
        }
    }

    private final List<Entry> publishedNames;
    private final List<Entry> unpublishedNames;
    private final Supplier<BootstrapDnsLookup> lookupFactory;
    private final Random shuffle;
    private final Duration timeout;

    private volatile Published published;
    private volatile Unpublished unpublished;

    private BootstrapDnsLookup lookup;
    private ScheduledExecutorService refresher;

    @Autowired
    public BootstrapDnsResolver(BootstrapDnsProperties properties, Transport transport) {
        this(properties, () -> new NettyBootstrapDnsLookup(transport), new Random(), REFRESH_TIMEOUT);
    }

    BootstrapDnsResolver(BootstrapDnsProperties properties, Supplier<BootstrapDnsLookup> lookupFactory,
                         Random shuffle, Duration timeout) {
        this.publishedNames = entries(properties.names());
        this.unpublishedNames = entries(properties.unpublishedNames());
        this.lookupFactory = lookupFactory;
        this.shuffle = shuffle;
        this.timeout = timeout;
    }

    private static List<Entry> entries(List<String> texts) {
        List<Entry> out = new ArrayList<>();
        if (texts != null) {
            for (String t : texts) {
                if (t != null && !t.isBlank()) {
                    out.add(Entry.parse(t.trim()));
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether any name is configured; without one the endpoint always serves an empty body. */
    public boolean isConfigured() {
        return !publishedNames.isEmpty() || !unpublishedNames.isEmpty();
    }

    /** Null until the first refresh of configured published names has finished. */
    Published published() {
        return published;
    }

    /** Null until the first refresh of configured unpublished names has finished. */
    Unpublished unpublished() {
        return unpublished;
    }

    @Override
    public synchronized void start() {
        if (refresher != null || !isConfigured()) {
            return;
        }
        BootstrapDnsLookup using = lookupFactory.get();
        lookup = using;
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bootstrap-dns-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(() -> refreshQuietly(using), 0, REFRESH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        log.info("Bootstrap DNS: refreshing {} published and {} unpublished names every {} min",
                publishedNames.size(), unpublishedNames.size(), REFRESH_INTERVAL.toMinutes());
    }

    @Override
    public synchronized void stop() {
        if (refresher != null) {
            refresher.shutdownNow();
            refresher = null;
        }
        if (lookup != null) {
            lookup.close();
            lookup = null;
        }
    }

    @Override
    public void destroy() {
        stop();
    }

    @Override
    public synchronized boolean isRunning() {
        return refresher != null;
    }

    @Override
    public int getPhase() {
        // Before the web server, so the first refresh is already under way when requests arrive.
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }

    private void refreshQuietly(BootstrapDnsLookup using) {
        try {
            refresh(using);
        } catch (Interrupted e) {
            // stopping
        } catch (RuntimeException e) {
            log.warn("Bootstrap DNS refresh failed; keeping previous answers", e);
        }
    }

    /** One refresh pass with the given lookup; runs on the refresh thread, or directly in tests. */
    void refresh(BootstrapDnsLookup using) {
        if (!publishedNames.isEmpty()) {
            Resolved r = resolve(using, publishedNames);
            Map<String, List<String>> ips = null;
            if (!r.ips.isEmpty()) {
                ips = new HashMap<>();
                for (Map.Entry<String, List<String>> e : r.ips.entrySet()) {
                    List<String> list = new ArrayList<>(e.getValue());
                    Collections.shuffle(list, shuffle);
                    ips.put(e.getKey(), List.copyOf(list));
                }
                ips = Collections.unmodifiableMap(ips);
            }
            published = new Published(ips, GoJson.marshalIndent(ips));
        }
        if (!unpublishedNames.isEmpty()) {
            Resolved r = resolve(using, unpublishedNames);
            unpublished = new Unpublished(Collections.unmodifiableMap(r.ips), Collections.unmodifiableMap(r.percent));
        }
    }

    private record Resolved(Map<String, List<String>> ips, Map<String, Double> percent) {
    }

    private Resolved resolve(BootstrapDnsLookup using, List<Entry> entries) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<CompletableFuture<List<InetAddress>>> ipLookups = new ArrayList<>(entries.size());
        List<CompletableFuture<List<String>>> txtLookups = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            ipLookups.add(start(() -> using.lookupIp(e.name())));
            txtLookups.add(e.txtName() == null ? null : start(() -> using.lookupTxt(e.txtName())));
        }
        Map<String, List<String>> ips = new LinkedHashMap<>();
        Map<String, Double> percent = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            List<InetAddress> addresses = await(ipLookups.get(i), deadline, e.name());
            if (addresses == null || addresses.isEmpty()) {
                cancel(txtLookups.get(i));
                continue;
            }
            List<String> texts = new ArrayList<>(addresses.size());
            for (InetAddress a : addresses) {
                texts.add(IpText.format(a));
            }
            ips.put(e.name(), List.copyOf(texts));
            if (e.txtName() == null) {
                percent.put(e.name(), 1.0);
                continue;
            }
            List<String> values = await(txtLookups.get(i), deadline, e.txtName());
            if (values == null) {
                continue;
            }
            for (String v : values) {
                Integer p = parsePercent(v);
                if (p != null) {
                    percent.put(e.name(), p / 100.0);
                }
            }
        }
        return new Resolved(ips, percent);
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> lookup) {
        try {
            return lookup.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static <T> T await(CompletableFuture<T> f, long deadline, String name) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            log.warn("bootstrap DNS lookup {}: timed out", name);
        } catch (ExecutionException e) {
            log.warn("bootstrap DNS lookup {}: {}", name, e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(false);
            throw new Interrupted();
        } catch (RuntimeException e) {
            log.warn("bootstrap DNS lookup {}: {}", name, e.toString());
        }
        return null;
    }

    /** Shutdown arrived mid-refresh: abandon the pass rather than publish a half-empty answer. */
    private static final class Interrupted extends RuntimeException {
        Interrupted() {
            super(null, null, false, false);
        }
    }

    private static void cancel(CompletableFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /** An integer 0..100, as Go's strconv.Atoi accepts it (optional sign, decimal digits only). */
    static Integer parsePercent(String v) {
        if (v == null || v.isEmpty()) {
            return null;
        }
        int i = v.charAt(0) == '+' || v.charAt(0) == '-' ? 1 : 0;
        if (i == v.length()) {
            return null;
        }
        for (int j = i; j < v.length(); j++) {
            if (v.charAt(j) < '0' || v.charAt(j) > '9') {
                return null;
            }
        }
        try {
            int p = Integer.parseInt(v);
            return p >= 0 && p <= 100 ? p : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
