package io.jderper.probe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;

/**
 * A running prober: the probes, the DERP map that drives them and (unless in once mode) the HTTP server for the status
 * page and metrics. Used by {@code jderper probe} and by {@code derper.probe.enabled} inside a server.
 */
public final class ProbeService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProbeService.class);
    /** The metric namespace the original's derpprobe uses. */
    public static final String NAMESPACE = "derpprobe";

    private final ProbeSettings settings;
    private final Prober prober;
    private final ProberHttpServer http;

    private ProbeService(ProbeSettings settings, Prober prober, ProberHttpServer http) {
        this.settings = settings;
        this.prober = prober;
        this.http = http;
    }

    /**
     * Starts probing.
     *
     * @param localMap the map {@code local} stands for; required when {@code settings.derpMap()} is {@code local}
     */
    public static ProbeService start(ProbeSettings settings, MapSource localMap) {
        ProbeTrust trust = ProbeTrust.load(settings.tlsCaFile());
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        MapSource source;
        if (settings.derpMap().equals(ProbeSettings.LOCAL)) {
            if (localMap == null) {
                throw new IllegalArgumentException("-derp-map local needs this region's settings (derper.mesh.*)");
            }
            source = localMap;
        } else {
            source = MapSource.url(settings.derpMap(), client);
        }
        Prober prober = new Prober(NAMESPACE, settings.spread(), settings.once());
        ProberHttpServer http = null;
        try {
            if (!settings.once()) {
                http = ProberHttpServer.start(prober, settings.listen());
                log.info("Prober listening on {}", http.address());
            }
            DerpMapProber maps = new DerpMapProber(prober, settings, source, trust, client);
            prober.run(DerpMapProber.NAME, settings.interval(), Map.of(), maps.probeClass());
        } catch (RuntimeException e) {
            prober.close();
            if (http != null) {
                http.close();
            }
            throw e;
        }
        return new ProbeService(settings, prober, http);
    }

    public Prober prober() {
        return prober;
    }

    public ProbeSettings settings() {
        return settings;
    }

    /** Where the status page and metrics are served, or null in once mode. */
    public InetSocketAddress httpAddress() {
        return http == null ? null : http.address();
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        prober.close();
    }
}
