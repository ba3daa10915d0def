package io.jderper;

import io.jderper.config.DerperFlags;
import io.jderper.config.Version;
import io.jderper.load.LoadTool;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

// Auto-configurations that are active by default but serve nothing the relay offers: no @Async, @Scheduled or
// aspects, no multipart or web sessions, no info endpoint, no SSL bundles to meter. Their metrics (executor_*,
// http_server_requests_*, logback_events_total, application_*_time_seconds) are not among the documented ones
// (docs/operations.md, "Metrics"). Leaving them out saves about 270 loaded classes (docs/performance.md, "Small nodes").
@SpringBootApplication(excludeName = {
        "org.springframework.boot.autoconfigure.aop.AopAutoConfiguration",
        "org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration",
        "org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.info.InfoContributorAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.logging.logback.LogbackMetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.ssl.SslMetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.startup.StartupTimeMetricsListenerAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.task.TaskExecutorMetricsAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ScheduledTasksObservationAutoConfiguration",
        "org.springframework.boot.webflux.autoconfigure.ReactiveMultipartAutoConfiguration",
        "org.springframework.boot.webflux.autoconfigure.WebFluxObservationAutoConfiguration",
        "org.springframework.boot.webflux.autoconfigure.WebSessionIdResolverAutoConfiguration"})
@ConfigurationPropertiesScan
public class JderperApplication {

    public static void main(String[] args) {
        // Tool modes share the jar but never start the relay: they run before derper flag translation.
        if (args.length > 0) {
            String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
            switch (args[0]) {
                case "load" -> System.exit(LoadTool.run(rest));
                case "probe" -> System.exit(io.jderper.probe.ProbeCommand.run(rest, System.out, System.err, System::getenv));
                case "stunc" -> System.exit(io.jderper.probe.StuncCommand.run(rest, System.out, System.err));
                default -> {
                }
            }
        }
        relayDefaults();
        DerperFlags.Translation flags;
        try {
            flags = DerperFlags.translate(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jderper: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (flags.helpRequested()) {
            // Answered before Spring starts: no logging set-up, no port bound, nothing read but the flag table.
            System.out.print(io.jderper.config.DerperHelp.render());
            return;
        }
        if (flags.versionRequested()) {
            System.out.println(Version.current());
            return;
        }
        start(flags);
    }

    /** Starts the server from a derper-style (or Spring-style) command line; used by tests and tools too. */
    public static ConfigurableApplicationContext start(String... args) {
        return start(DerperFlags.translate(args));
    }

    private static ConfigurableApplicationContext start(DerperFlags.Translation flags) {
        ConfigurableApplicationContext context = new SpringApplication(JderperApplication.class)
                .run(flags.springArgs().toArray(String[]::new));
        flags.warnings().forEach(LoggerFactory.getLogger(JderperApplication.class)::warn);
        return context;
    }

    /**
     * Runtime settings that suit a relay, applied only where the operator set nothing (-D wins); see
     * docs/performance.md. Must run before Netty and Reactor Netty read them.
     */
    static void relayDefaults() {
        // Netty's default leak detection records a stack trace for a sample of buffers, on the packet path.
        defaultProperty("io.netty.leakDetection.level", "disabled");
        // Reactor Netty starts max(cores, 4) event loops. A packet whose two ends sit on different loops costs a
        // cross-thread hand-off (and a wake-up when that loop sleeps), and the kernel's share of relaying (TCP send
        // and receive) needs cores too: half the cores as loops measured best (docs/performance.md).
        defaultProperty("reactor.netty.ioWorkerCount",
                Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors() / 2)));
        // Netty registers its Flight Recorder events when JFR is available: about 140 classes loaded for events that
        // only a recording with Netty's event types switched on would ever show.
        defaultProperty("io.netty.jfr.enabled", "false");
        // Spring logs through Commons Logging, which otherwise loads the Log4j API (about 100 classes) only to find
        // it bridged to SLF4J; name the SLF4J factory it would settle on.
        defaultProperty("org.apache.commons.logging.LogFactory", "org.apache.commons.logging.impl.Slf4jLogFactory");
    }

    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }
}
