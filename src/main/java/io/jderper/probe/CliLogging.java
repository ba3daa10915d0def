package io.jderper.probe;

import org.slf4j.LoggerFactory;

/**
 * Logging for the command-line modes, which run without Spring Boot's logging setup: without this, Logback's
 * fallback configuration would print every library's DEBUG output.
 */
final class CliLogging {
    private CliLogging() {
    }

    static void quiet() {
        Object root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger logback
                && System.getProperty("logging.level.root") == null) {
            logback.setLevel(ch.qos.logback.classic.Level.INFO);
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.netty")).setLevel(ch.qos.logback.classic.Level.WARN);
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("reactor")).setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}
