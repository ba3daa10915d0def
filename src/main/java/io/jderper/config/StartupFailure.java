package io.jderper.config;

/**
 * A configuration that cannot start, told the way an operator fixes it: the property (and flag), the value it has,
 * what is wrong, and what is allowed. {@link StartupFailureAnalyzer} prints these few lines instead of a stack trace.
 */
public final class StartupFailure extends RuntimeException {
    private final String property;
    private final String value;
    private final String problem;
    private final String allowed;

    /**
     * @param property the derper.* property at fault
     * @param value    its value as configured (null when unset)
     * @param problem  what is wrong with it
     * @param allowed  what would be accepted, or how to fix it (empty when the property's description says it)
     */
    public StartupFailure(String property, String value, String problem, String allowed) {
        this(property, value, problem, allowed, null);
    }

    public StartupFailure(String property, String value, String problem, String allowed, Throwable cause) {
        super(property + (value == null ? "" : "=" + value) + ": " + problem, cause);
        this.property = property;
        this.value = value;
        this.problem = problem;
        this.allowed = allowed == null ? "" : allowed;
    }

    public String property() {
        return property;
    }

    public String value() {
        return value;
    }

    public String problem() {
        return problem;
    }

    public String allowed() {
        return allowed;
    }
}
