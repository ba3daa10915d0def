package io.jderper.ops;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code tls}: the certificate of the main listener, from a {@link CertificateStatus} bean if one is registered,
 * else from the TLS module's ServerTls (present only when the listener serves TLS). DOWN when that bean says it cannot serve or the certificate has expired; expiry is shown either way,
 * so alerting can use it before it matters.
 */
final class TlsHealthIndicator implements HealthIndicator {
    private final boolean tlsEnabled;
    private final String mode;
    private final Supplier<CertificateStatus> status;
    private final Clock clock;

    /** @param status the certificate status to report, or a supplier of null when nothing reports one */
    TlsHealthIndicator(boolean tlsEnabled, String mode, Supplier<CertificateStatus> status, Clock clock) {
        this.tlsEnabled = tlsEnabled;
        this.mode = mode;
        this.status = status;
        this.clock = clock;
    }

    @Override
    public Health health() {
        CertificateStatus cert = status.get();
        if (cert == null) {
            Health.Builder b = Health.up().withDetail("enabled", tlsEnabled);
            return tlsEnabled ? b.withDetail("mode", mode).withDetail("certificate", "no status reported").build() : b.build();
        }
        Instant now = clock.instant();
        Optional<Instant> notAfter = cert.notAfter();
        boolean expired = notAfter.isPresent() && !notAfter.get().isAfter(now);
        Health.Builder b = cert.ready() && !expired ? Health.up() : Health.down();
        b.withDetail("enabled", true).withDetail("mode", mode).withDetail("ready", cert.ready());
        notAfter.ifPresent(t -> b.withDetail("notAfter", t.toString())
                .withDetail("expiresInSeconds", Duration.between(now, t).toSeconds()));
        if (expired) {
            b.withDetail("state", "certificate expired");
        }
        if (!cert.description().isEmpty()) {
            b.withDetail("description", cert.description());
        }
        return b.build();
    }
}
