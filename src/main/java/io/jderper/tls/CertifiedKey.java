package io.jderper.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A certificate chain (leaf first, no meta certificate) with its private key: what one certificate source
 * currently serves. Each instance gets a unique id, so the key manager can name it by alias across the
 * several calls JSSE makes during one handshake, even if the source swaps in a newer certificate meanwhile.
 */
public record CertifiedKey(PrivateKey privateKey, List<X509Certificate> chain, long id) {
    private static final AtomicLong IDS = new AtomicLong();

    public CertifiedKey {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("certificate chain is empty");
        }
        chain = List.copyOf(chain);
    }

    public static CertifiedKey of(PrivateKey privateKey, List<X509Certificate> chain) {
        return new CertifiedKey(privateKey, chain, IDS.incrementAndGet());
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** JSSE's key type name for this key: "EC" or "RSA" (what {@code chooseEngineServerAlias} is asked for). */
    public String keyType() {
        return privateKey.getAlgorithm();
    }

    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    public boolean validAt(Instant now) {
        return !now.isBefore(notBefore()) && !now.isAfter(notAfter());
    }

    /** Renew once less than a third of the lifetime is left (~30 days for 90-day, ~2 days for 6-day certificates). */
    public boolean needsRenewal(Instant now) {
        Duration total = Duration.between(notBefore(), notAfter());
        return Duration.between(now, notAfter()).compareTo(total.dividedBy(3)) < 0;
    }

    @Override
    public String toString() {
        return "CertifiedKey[" + leaf().getSubjectX500Principal().getName() + ", until " + notAfter() + "]";
    }
}
