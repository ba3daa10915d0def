package io.jderper.ops;

import java.time.Instant;
import java.util.Optional;

/**
 * What the TLS layer tells health checks about the certificate of the main listener. Register one bean of this type
 * when the main listener serves TLS; without one, the {@code tls} health component reports only whether TLS is
 * configured and never holds readiness down.
 */
public interface CertificateStatus {

    /**
     * True when the listener can complete TLS handshakes now: a manual certificate is loaded, or certificates are
     * obtained on demand and nothing has failed for good. False keeps readiness down.
     */
    boolean ready();

    /** Expiry of the certificate currently served, if one is loaded. An expired certificate also keeps readiness down. */
    Optional<Instant> notAfter();

    /** Short human text for the health details, e.g. the certificate mode and names. */
    default String description() {
        return "";
    }
}
