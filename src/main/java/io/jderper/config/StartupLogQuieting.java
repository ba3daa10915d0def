package io.jderper.config;

import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.GenericApplicationListener;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;

import java.util.List;

/**
 * Keeps a failed start to its failure report. While the context starts, two loggers say what the report says, only
 * longer and first: the context's "Exception encountered during context initialization - cancelling refresh attempt:
 * … Unable to start reactive web server" warning, and the condition report's hint. Both are quieted until the server
 * is ready, then restored; an operator's own {@code logging.level.*} for them, or {@code --debug}, wins.
 */
final class StartupLogQuieting implements GenericApplicationListener {
    static final String CONDITION_REPORT = "org.springframework.boot.autoconfigure.logging.ConditionEvaluationReportLogger";

    private List<String> quieted = List.of();

    @Override
    public boolean supportsEventType(ResolvableType eventType) {
        Class<?> type = eventType.getRawClass();
        return type != null && (ApplicationPreparedEvent.class.isAssignableFrom(type)
                || ApplicationReadyEvent.class.isAssignableFrom(type));
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationPreparedEvent prepared) {
            Environment env = prepared.getApplicationContext().getEnvironment();
            if (env.getProperty("debug", Boolean.class, false) || env.getProperty("trace", Boolean.class, false)) {
                return;
            }
            String context = prepared.getApplicationContext().getClass().getName();
            quieted = List.of(context, CONDITION_REPORT).stream()
                    .filter(name -> !env.containsProperty("logging.level." + name))
                    .toList();
            LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
            quieted.forEach(name -> logging.setLogLevel(name, LogLevel.ERROR));
        } else if (event instanceof ApplicationReadyEvent) {
            LoggingSystem logging = LoggingSystem.get(getClass().getClassLoader());
            quieted.forEach(name -> logging.setLogLevel(name, null));
            quieted = List.of();
        }
        // A failed start keeps them quiet: the context is closing and the report says why.
    }
}
