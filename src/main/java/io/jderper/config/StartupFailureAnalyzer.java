package io.jderper.config;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a startup failure caused by the configuration into the few lines an operator needs: the property and its flag,
 * the value it has, what is wrong, and what is allowed. It recognises a {@link StartupFailure}, a failed binding of a
 * {@code derper.*} property, and any exception whose message starts with the property it blames (the project's rule
 * for startup errors), wherever it sits in the chain of bean-creation wrappers. Runs before Spring's own analyzers.
 */
final class StartupFailureAnalyzer implements FailureAnalyzer, Ordered {
    /** {@code derper.mesh.key-file: ...}, {@code derper.tls.mode=manual: ...}, {@code derper.listen must be ...}. */
    private static final Pattern BLAMED = Pattern.compile("^(derper\\.[a-z0-9][a-z0-9.\\[\\]-]*[a-z0-9\\]])(=[^\\s:]*)?(:\\s*)?");
    private static final Pattern NAMED = Pattern.compile("(derper\\.[a-z0-9][a-z0-9.-]*[a-z0-9])");
    static final String MORE = "(java -jar jderper.jar -h lists every flag; docs/operations.md every property.)";

    private final Environment environment;

    /** @param environment the failed application's environment, or null when it failed before there was one */
    StartupFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public FailureAnalysis analyze(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StartupFailure f) {
                String hint = f.allowed().isEmpty() ? expected(f.property()) : f.allowed();
                return analysis(f.property(), f.value() == null ? "" : shown(f.property(), f.value()), f.problem(),
                        hint, failure);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BindException bind && bind.getName().toString().startsWith("derper")) {
                FailureAnalysis blamed = blamed(bind, failure);
                return blamed != null ? blamed : conversion(bind, failure);
            }
        }
        return blamed(failure, failure);
    }

    /** The first exception in the chain whose message starts by naming a derper.* property. */
    private FailureAnalysis blamed(Throwable from, Throwable failure) {
        for (Throwable t = from; t != null; t = t.getCause()) {
            String message = t.getMessage();
            Matcher m = message == null ? null : BLAMED.matcher(message);
            if (m != null && m.find()) {
                String property = m.group(1);
                String problem = m.group(3) != null ? message.substring(m.end())
                        : message.substring(property.length()).strip(); // "derper.listen must be ..."
                String value = configured(property);
                if (value == null && m.group(2) != null) {
                    value = m.group(2).substring(1);
                }
                return analysis(property, shown(property, value), withIoReason(problem, t.getCause()),
                        expected(lastNamed(message, property)), failure);
            }
        }
        return null;
    }

    /**
     * Messages name the property they blame first and, where the fix lies in a related one, that one last
     * ("derper.tls.mode=manual: … does not exist (derper.tls.cert-dir=/etc/certs)"): its description is the hint.
     */
    private static String lastNamed(String message, String blamed) {
        Matcher m = NAMED.matcher(message);
        String last = blamed;
        while (m.find()) {
            if (PropertyCatalog.current().find(m.group(1)).isPresent()) {
                last = m.group(1);
            }
        }
        return last;
    }

    /** A value Spring could not convert to the property's type (a duration "5x", a port "abc"). */
    private FailureAnalysis conversion(BindException bind, Throwable failure) {
        String property = bind.getName().toString();
        ConfigurationProperty source = bind.getProperty();
        String value = source == null ? configured(property) : String.valueOf(source.getValue());
        Class<?> type = bind.getTarget().getType().resolve(Object.class);
        Throwable root = bind;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String shown = shown(property, value)
                + (source != null && source.getOrigin() != null ? " (" + source.getOrigin() + ")" : "");
        String problem = "not " + typeName(type) + (root != bind && root.getMessage() != null ? " (" + root.getMessage() + ")" : "");
        String described = expected(property).replaceFirst("^Expected: ", "");
        return analysis(property, shown, problem, "Expected: " + typeSyntax(type)
                + (described.isEmpty() ? "." : ", for: " + described), failure);
    }

    /** " is \"5x\"", " is not set"; keys are never printed, not even wrong ones. */
    private static String shown(String property, String value) {
        if (value == null) {
            return " is not set";
        }
        String last = property.substring(property.lastIndexOf('.') + 1);
        return last.equals("key") || last.endsWith("-key") ? " is set (value not shown)" : " is \"" + value + "\"";
    }

    /**
     * One line for what is wrong and one for the fix (more only for several unknown properties), so that the whole
     * report of a failed start fits the first screen.
     */
    private static FailureAnalysis analysis(String property, String shownValue, String problem, String hint,
                                            Throwable failure) {
        String flag = DerperFlags.flagFor(property).map(f -> " (flag " + f + ")").orElse("");
        String action = (hint.isEmpty() ? "" : hint + " ") + MORE;
        return new FailureAnalysis(property + flag + shownValue + ": " + problem, action, failure);
    }

    /** "Expected: <the property's description>", or empty when the metadata has none. */
    private static String expected(String property) {
        return PropertyCatalog.current().find(property).map(PropertyCatalog.Property::description)
                .filter(d -> !d.isEmpty())
                .map(d -> "Expected: " + d.replaceFirst("^-[a-z0-9-]+[:;]\\s*", "") + ".")
                .orElse("");
    }

    private String configured(String property) {
        return environment == null ? null : environment.getProperty(property);
    }

    /**
     * A file error said plainly: "cannot read mesh.key: no such file (/srv/mesh.key)" rather than the bare file name
     * that {@link NoSuchFileException#getMessage()} is.
     */
    static String withIoReason(String problem, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException io) {
                String p = problem;
                for (String tail : new String[]{": " + io, ": " + io.getMessage()}) {
                    if (p.endsWith(tail)) {
                        p = p.substring(0, p.length() - tail.length());
                        break;
                    }
                }
                return p + ": " + ioReason(io);
            }
        }
        return problem;
    }

    private static String ioReason(IOException io) {
        if (io instanceof FileSystemException fs && fs.getFile() != null) {
            String where = Path.of(fs.getFile()).toAbsolutePath().normalize().toString();
            if (io instanceof NoSuchFileException) {
                return "no such file (" + where + ")";
            }
            if (io instanceof AccessDeniedException) {
                return "permission denied (" + where + ")";
            }
            return (fs.getReason() == null ? io.getClass().getSimpleName() : fs.getReason()) + " (" + where + ")";
        }
        return io.getMessage() == null ? io.getClass().getSimpleName() : io.getMessage();
    }

    private static String typeName(Class<?> type) {
        if (type == java.time.Duration.class) {
            return "a duration";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "a whole number";
        }
        if (type == double.class || type == Double.class) {
            return "a number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "a boolean";
        }
        if (type == java.net.URI.class) {
            return "a URL";
        }
        return "a valid " + type.getSimpleName();
    }

    private static String typeSyntax(Class<?> type) {
        if (type == java.time.Duration.class) {
            return "a duration such as 500ms, 10s, 5m or 1h (a bare number is milliseconds)";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == double.class || type == Double.class) {
            return "a decimal number (or Infinity)";
        }
        return typeName(type);
    }
}
