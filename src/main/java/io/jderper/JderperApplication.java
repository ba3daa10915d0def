package io.jderper;

import io.jderper.config.DerperFlags;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
@ConfigurationPropertiesScan
public class JderperApplication {

    public static void main(String[] args) {
        DerperFlags.Translation flags;
        try {
            flags = DerperFlags.translate(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jderper: " + e.getMessage());
            System.exit(2);
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
}
