package io.jderper.admission;

/** The fixed set of {@code derp_admission_denied{reason}} labels this package produces. */
final class DenyReason {
    /** tailscaled answered 404: the node key is not in the tailnet. */
    static final String TAILSCALED_UNKNOWN = "tailscaled_unknown";
    /** tailscaled could not be asked or gave an answer other than 200 with JSON. */
    static final String TAILSCALED_ERROR = "tailscaled_error";
    /** The admission controller answered 200 without {@code "Allow": true}. */
    static final String CONTROLLER_DENIED = "controller_denied";
    /** The admission controller answered a status other than 200, or a body that is not the expected JSON. */
    static final String CONTROLLER_ERROR = "controller_error";
    /** The admission controller could not be reached in time and fail-open is off. */
    static final String CONTROLLER_UNREACHABLE = "controller_unreachable";

    private DenyReason() {
    }
}
