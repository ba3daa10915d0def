package io.jderper.probe;

/** A probe failure whose message is complete as it stands (no exception class name prepended). */
public final class ProbeFailure extends RuntimeException {
    public ProbeFailure(String message) {
        super(message, null, false, false);
    }

    public ProbeFailure(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
