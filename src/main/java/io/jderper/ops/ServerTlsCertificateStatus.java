package io.jderper.ops;

import io.jderper.tls.CertifiedKey;
import io.jderper.tls.ServerTls;

import java.time.Instant;
import java.util.Optional;

/**
 * The certificate state of the TLS module's {@link ServerTls}, for the {@code tls} health component. Manual mode is
 * ready once its certificate is loaded; the ACME modes obtain certificates on the first handshake for a name, so they
 * are ready as soon as their background work runs, and report an expiry once a certificate exists.
 */
final class ServerTlsCertificateStatus implements CertificateStatus {
    private final ServerTls tls;
    private final String hostname;

    ServerTlsCertificateStatus(ServerTls tls, String hostname) {
        this.tls = tls;
        this.hostname = hostname;
    }

    @Override
    public boolean ready() {
        if (!tls.isRunning()) {
            return false;
        }
        return !"manual".equals(tls.mode()) || tls.currentCertificate(hostname).isPresent();
    }

    @Override
    public Optional<Instant> notAfter() {
        return tls.currentCertificate(hostname).map(CertifiedKey::notAfter);
    }

    @Override
    public String description() {
        return tls.mode() + " certificate for " + hostname;
    }
}
