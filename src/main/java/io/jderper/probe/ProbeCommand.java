package io.jderper.probe;

import io.jderper.config.Version;
import io.jderper.config.DerperProperties;
import io.jderper.config.MeshProperties;
import io.jderper.config.StunProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;

import java.io.PrintStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code java -jar jderper.jar probe [derpprobe flags]}: the prober on its own, without the relay. In once mode it
 * probes everything once, prints {@code good:}/{@code bad:} lines and exits 1 if anything failed; otherwise it serves
 * the status page and metrics on {@code -listen} until stopped.
 */
public final class ProbeCommand {
    private ProbeCommand() {
    }

    /** Runs the command; returns the process exit code (only in once mode or on errors: serving never returns). */
    public static int run(String[] args, PrintStream out, PrintStream err, Function<String, String> env) {
        CliLogging.quiet();
        ProbeFlags.Parsed parsed;
        try {
            parsed = ProbeFlags.parse(args, env);
        } catch (IllegalArgumentException e) {
            err.println("jderper probe: " + e.getMessage());
            err.print(ProbeFlags.usage());
            return 2;
        }
        if (parsed.help()) {
            err.print(ProbeFlags.usage());
            return 0;
        }
        if (parsed.version()) {
            out.println(Version.current());
            return 0;
        }
        ProbeSettings settings = parsed.settings();
        ProbeService service;
        try {
            service = ProbeService.start(settings, MapSource.of(ProbeCommand::localRegionFromEnvironment));
        } catch (RuntimeException e) {
            err.println("jderper probe: " + Probe.message(e));
            return 1;
        }
        if (!settings.once()) {
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                service.close();
                stop.countDown();
            }, "prober-shutdown"));
            err.println("jderper probe: listening on " + service.httpAddress());
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }
        try (service) {
            err.println("Waiting for all probes (may take up to " + Probe.format(onceBudget(settings)) + ")");
            service.prober().awaitAll(onceBudget(settings));
            return report(service.prober().probeInfo(), out);
        } catch (TimeoutException e) {
            err.println("jderper probe: probes did not finish in " + Probe.format(onceBudget(settings)));
            report(service.prober().probeInfo(), out);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /**
     * The settings a {@code jderper probe} command line stands for (without -version/-help).
     *
     * @throws IllegalArgumentException with the message the command would print
     */
    public static ProbeSettings parseSettings(String[] args, Function<String, String> env) {
        ProbeFlags.Parsed parsed = ProbeFlags.parse(args, env);
        if (parsed.settings() == null) {
            throw new IllegalArgumentException("-version and -help do not probe");
        }
        return parsed.settings();
    }

    /** Spread delay plus the attempt for the map probe, then the same again for the probes it adds, with slack. */
    static Duration onceBudget(ProbeSettings s) {
        Duration longest = Stream.of(s.interval(), s.meshInterval(), s.stunInterval(), s.tlsInterval(), s.bwInterval(),
                        ProbeSettings.CONTINUOUS_RESTART)
                .max(Duration::compareTo).orElseThrow();
        return longest.multipliedBy(4).plusSeconds(30);
    }

    /** Prints {@code good:} and {@code bad:} lines as the original does; returns 1 when any probe failed. */
    static int report(Map<String, ProbeInfo> probes, PrintStream out) {
        List<String> good = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        probes.values().forEach(p -> {
            if (p.end() == null) {
                return; // never finished: not reported, as by the original
            }
            if (ProbeInfo.SUCCEEDED.equals(p.lastResult())) {
                good.add(p.name() + ": " + StatusPage.millis(p.latency()));
            } else {
                bad.add(p.name() + ": " + p.error());
            }
        });
        good.sort(null);
        bad.sort(null);
        good.forEach(s -> out.println("good: " + s));
        bad.forEach(s -> out.println("bad: " + s));
        out.flush();
        return bad.isEmpty() ? 0 : 1;
    }

    /**
     * {@code local} outside a server: the siblings named by {@code derper.mesh.*} (DERPER_MESH_WITH, DERPER_MESH_DNSNAME
     * and the rest, from the environment or system properties), probed from here.
     */
    static DerpMap localRegionFromEnvironment() {
        Binder binder = Binder.get(new StandardEnvironment());
        MeshProperties mesh = binder.bindOrCreate("derper.mesh", Bindable.of(MeshProperties.class));
        StunProperties stun = binder.bindOrCreate("derper.stun", Bindable.of(StunProperties.class));
        DerperProperties core = binder.bindOrCreate("derper", Bindable.of(DerperProperties.class));
        int dialPort = mesh.dialPort() != 0 ? mesh.dialPort() : core.listenAddress().port();
        LocalRegion.Config config = new LocalRegion.Config(null, mesh.with(),
                mesh.discovery().equals("dns") ? mesh.dnsName() : "", dialPort, mesh.tls(),
                stun.enabled() ? stun.port() : -1);
        return LocalRegion.build(config, InetAddress::getAllByName);
    }
}
