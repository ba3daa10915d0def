package io.jderper.secrets;

/** A request to the secrets server that gave no usable answer; {@link #kind} is the metric's result label. */
final class SetecException extends RuntimeException {

    enum Kind {
        /** No HTTP answer: connection refused, DNS, TLS, timeout. Worth retrying. */
        UNREACHABLE("unreachable"),
        /** 404: the secret (or the version asked for) does not exist. */
        NOT_FOUND("not_found"),
        /** 403: the server refuses this caller (or the request lacked the anti-browser header). */
        ACCESS_DENIED("access_denied"),
        /** Any other status than 200 (and 304 where it means "unchanged"). */
        HTTP_STATUS("http_error"),
        /** 200 with a body that is not the expected JSON. */
        BAD_RESPONSE("bad_response"),
        /** A well-formed answer whose value is not a mesh key. */
        INVALID_KEY("invalid_key");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private final Kind kind;
    private final int status;

    SetecException(Kind kind, String message) {
        this(kind, 0, message, null);
    }

    SetecException(Kind kind, int status, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
    }

    Kind kind() {
        return kind;
    }

    /** The HTTP status, 0 when there was none. */
    int status() {
        return status;
    }

    /** Worth another try soon: the server may be back in a moment. */
    boolean transientFailure() {
        return kind == Kind.UNREACHABLE || (kind == Kind.HTTP_STATUS && status >= 500);
    }
}
