package io.jderper.tls;

import org.shredzone.acme4j.Identifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code derper.tls.mode=letsencrypt|gcp}: certificates ordered over ACME in the background, cached in the
 * certificate directory and renewed when a third of their lifetime is left.
 *
 * <p>Handshakes never wait for ACME (they run on Netty event loops). The configured host name is ordered at
 * startup; a handshake for an allowed name or IP that has no certificate yet starts an order in the background
 * and fails, and the client's retry succeeds once the certificate is in. The original instead holds such a
 * handshake open for up to three minutes; the client-visible difference is one failed first attempt.
 *
 * <p>Cache layout, readable by (and from) the original: host-name certificates in autocert's format, one file
 * named after the domain holding the key then the chain, account key {@code acme_account+key}; IP certificates
 * as {@code <ip>.crt}/{@code <ip>.key} (IPv6 colons as dots), account key {@code acme-account.key} when the
 * server has no DNS host name.
 */
final class AcmeCertificates implements CertificateSelector {
    private static final Logger log = LoggerFactory.getLogger(AcmeCertificates.class);
    static final Duration FIRST_RETRY = Duration.ofMinutes(1);
    static final Duration MAX_RETRY = Duration.ofMinutes(30);

    /** What a certificate is for: a DNS name or an IP address. */
    record Target(String key, Identifier identifier, InetAddress ip) {
        static Target dns(String name) {
            String n = HostNames.normaliseDns(name);
            return new Target(n, Identifier.dns(n), null);
        }

        static Target ip(InetAddress ip) {
            InetAddress a = HostNames.unmap(ip);
            return new Target(io.netty.util.NetUtil.toAddressString(a), Identifier.ip(a), a);
        }

        boolean isIp() {
            return ip != null;
        }
    }

    /** Issuance state of one target. Fields other than {@code cert} are guarded by the entry itself. */
    private static final class Entry {
        final Target target;
        volatile CertifiedKey cert;
        CompletableFuture<CertifiedKey> flight;
        Instant nextAttempt = Instant.EPOCH;
        Duration retryDelay = Duration.ZERO;

        Entry(Target target) {
            this.target = target;
        }
    }

    private final String hostname;
    private final boolean dnsHostname;
    private final boolean ipCerts;
    private final Predicate<String> sniPolicy;
    private final Path certDir;
    private final AcmeClient client;
    private final AcmeChallenges challenges;
    private final ScheduledExecutorService worker;
    private final Clock clock;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

    AcmeCertificates(String hostname, boolean ipCerts, Predicate<String> sniPolicy, Path certDir, AcmeClient client,
                     AcmeChallenges challenges, ScheduledExecutorService worker, Clock clock) {
        this.challenges = challenges;
        this.hostname = hostname;
        this.dnsHostname = HostNames.ipLiteral(hostname).isEmpty();
        this.ipCerts = ipCerts;
        this.sniPolicy = sniPolicy;
        this.certDir = certDir;
        this.client = client;
        this.worker = worker;
        this.clock = clock;
    }

    /** Account key file name, as the original names it for the kind of server. */
    static String accountKeyFileName(boolean dnsHostname) {
        return dnsHostname ? "acme_account+key" : "acme-account.key";
    }

    static KeyPair loadOrCreateAccountKey(Path file) throws IOException, GeneralSecurityException {
        try {
            return Pem.parseKeyPair(Files.readString(file));
        } catch (NoSuchFileException e) {
            KeyPair pair = newEcKey();
            CertFiles.writeAtomically(file, Pem.ecPrivateKey(pair), CertFiles.KEY_MODE);
            log.info("Created ACME account key {}", file);
            return pair;
        }
    }

    static KeyPair newEcKey() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    /** Loads what the cache holds and orders what is missing or due. Returns at once; ordering runs on the worker. */
    void start(Duration renewCheckInterval) {
        List<Target> initial = new java.util.ArrayList<>();
        if (dnsHostname) {
            initial.add(Target.dns(hostname));
        }
        if (ipCerts) {
            initial.addAll(cachedIpTargets());
        }
        for (Target t : initial) {
            Entry e = entry(t);
            loadCached(e); // at startup, so the first handshakes already find a cached certificate
            ensure(e);
        }
        worker.scheduleWithFixedDelay(this::renewDue, renewCheckInterval.toMillis(), renewCheckInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private List<Target> cachedIpTargets() {
        List<Target> out = new java.util.ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(certDir, "*.crt")) {
            for (Path p : ds) {
                String base = p.getFileName().toString();
                base = base.substring(0, base.length() - ".crt".length());
                String name = base;
                // IPv4 names are the address itself; IPv6 ones had their colons turned into dots.
                HostNames.ipLiteral(name).or(() -> HostNames.ipLiteral(name.replace('.', ':')))
                        .ifPresent(ip -> out.add(Target.ip(ip)));
            }
        } catch (IOException e) {
            log.debug("cannot list {}: {}", certDir, e.toString());
        }
        return out;
    }

    @Override
    public CertifiedKey select(Handshake h) {
        String sni = h.serverName();
        if (h.acmeTlsAlpn()) {
            return challenges.tlsAlpnCertificate(sni);
        }
        Optional<InetAddress> sniIp = sni == null ? Optional.empty() : HostNames.ipLiteral(sni);
        if (sni == null || sniIp.isPresent()) {
            if (!ipCerts || h.localAddress() == null) {
                return null;
            }
            InetAddress local = HostNames.unmap(h.localAddress());
            // An IP in the SNI must be the address dialled: nobody can make us order a certificate for someone else.
            if (sniIp.isPresent() && !sniIp.get().equals(local)) {
                return null;
            }
            return lookup(Target.ip(local));
        }
        if (!dnsHostname || !sniPolicy.test(sni)) {
            return null;
        }
        return lookup(Target.dns(sni));
    }

    private CertifiedKey lookup(Target t) {
        Entry e = entry(t);
        CertifiedKey c = e.cert;
        if (c != null && c.validAt(clock.instant())) {
            return c;
        }
        ensure(e);
        return null;
    }

    private Entry entry(Target t) {
        return entries.computeIfAbsent(t.key(), k -> new Entry(t));
    }

    /** The certificate currently served for a DNS name or IP text, if any. */
    Optional<CertifiedKey> current(String nameOrIp) {
        Target t = HostNames.ipLiteral(nameOrIp).map(Target::ip).orElseGet(() -> Target.dns(nameOrIp));
        Entry e = entries.get(t.key());
        return Optional.ofNullable(e == null ? null : e.cert);
    }

    /** Orders a new certificate now, whatever the state of the current one (operator action, tests). */
    CompletableFuture<CertifiedKey> renewNow(String nameOrIp) {
        Target t = HostNames.ipLiteral(nameOrIp).map(Target::ip).orElseGet(() -> Target.dns(nameOrIp));
        return startFlight(entry(t), true);
    }

    /** Loads or orders a certificate for the entry unless it has a fresh one, respecting the failure backoff. */
    private void ensure(Entry e) {
        CertifiedKey c = e.cert;
        if (c != null && !c.needsRenewal(clock.instant())) {
            return;
        }
        synchronized (e) {
            if (e.flight == null && clock.instant().isBefore(e.nextAttempt)) {
                return;
            }
        }
        startFlight(e, false);
    }

    private CompletableFuture<CertifiedKey> startFlight(Entry e, boolean force) {
        CompletableFuture<CertifiedKey> f;
        synchronized (e) {
            if (e.flight != null) {
                return e.flight;
            }
            f = new CompletableFuture<>();
            e.flight = f;
        }
        try {
            worker.execute(() -> runFlight(e, force, f));
        } catch (java.util.concurrent.RejectedExecutionException shutDown) {
            synchronized (e) {
                e.flight = null;
            }
            f.completeExceptionally(shutDown);
        }
        return f;
    }

    private void runFlight(Entry e, boolean force, CompletableFuture<CertifiedKey> f) {
        try {
            CertifiedKey result = force ? null : loadCached(e);
            if (result == null) {
                result = obtain(e.target);
            }
            synchronized (e) {
                e.retryDelay = Duration.ZERO;
                e.nextAttempt = Instant.EPOCH;
                e.flight = null;
            }
            f.complete(result);
        } catch (Exception ex) {
            if (ex instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Duration delay;
            synchronized (e) {
                e.retryDelay = e.retryDelay.isZero() ? FIRST_RETRY : min(e.retryDelay.multipliedBy(2), MAX_RETRY);
                delay = e.retryDelay;
                e.nextAttempt = clock.instant().plus(delay);
                e.flight = null;
            }
            log.warn("ACME: cannot get a certificate for {} from {} (next attempt in {}): {}",
                    e.target.key(), client.directory(), delay, describe(ex));
            f.completeExceptionally(ex);
        }
    }

    /** The exception with its causes: acme4j wraps the informative part ("Network error" alone says little). */
    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append("; caused by ").append(c);
        }
        return sb.toString();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** A cached certificate still good enough to serve without ordering; sets it as current. */
    private CertifiedKey loadCached(Entry e) {
        CertifiedKey cached;
        try {
            cached = e.target.isIp()
                    ? CertFiles.load(ipCertFile(e.target), ipKeyFile(e.target))
                    : CertFiles.loadCombined(certDir.resolve(e.target.key()));
        } catch (NoSuchFileException missing) {
            return null;
        } catch (IOException | GeneralSecurityException | RuntimeException ex) {
            log.warn("ACME: ignoring unreadable cached certificate for {}: {}", e.target.key(), ex.toString());
            return null;
        }
        Instant now = clock.instant();
        if (!cached.validAt(now) || !HostNames.certificateMatches(cached.leaf(), e.target.key())) {
            return null;
        }
        if (e.cert == null || e.cert.notAfter().isBefore(cached.notAfter())) {
            e.cert = cached;
            log.info("ACME: loaded cached certificate for {} (valid until {})", e.target.key(), cached.notAfter());
        }
        // A cached certificate that is due still gets served while its successor is ordered.
        return cached.needsRenewal(now) ? null : cached;
    }

    private CertifiedKey obtain(Target t) throws Exception {
        KeyPair certKey = newEcKey();
        List<X509Certificate> chain = client.issue(t.identifier(), certKey, t.isIp());
        CertifiedKey fresh = CertFiles.checked(certKey.getPrivate(), chain);
        if (!HostNames.certificateMatches(fresh.leaf(), t.key())) {
            throw new GeneralSecurityException("issued certificate is not valid for " + t.key());
        }
        store(t, certKey, chain);
        entry(t).cert = fresh;
        if (t.isIp()) {
            log.info("ACME: got certificate for {} (valid until {}). Configure it in DERPMap using (https://tailscale.com/s/custom-derp):\n"
                    + "  {\"Name\":\"custom\",\"RegionID\":900,\"HostName\":\"{}\"}", t.key(), fresh.notAfter(), t.key());
        } else {
            log.info("ACME: got certificate for {} (valid until {})", t.key(), fresh.notAfter());
        }
        return fresh;
    }

    private void store(Target t, KeyPair key, List<X509Certificate> chain) throws IOException {
        CertFiles.ensureDirectory(certDir);
        if (t.isIp()) {
            CertFiles.writeAtomically(ipKeyFile(t), Pem.ecPrivateKey(key), CertFiles.KEY_MODE);
            CertFiles.writeAtomically(ipCertFile(t), Pem.certificates(chain), CertFiles.CERT_MODE);
        } else {
            CertFiles.writeAtomically(certDir.resolve(t.key()), Pem.ecPrivateKey(key) + Pem.certificates(chain),
                    CertFiles.KEY_MODE);
        }
    }

    private Path ipCertFile(Target t) {
        return certDir.resolve(HostNames.ipFileBaseName(t.ip()) + ".crt");
    }

    private Path ipKeyFile(Target t) {
        return certDir.resolve(HostNames.ipFileBaseName(t.ip()) + ".key");
    }

    /** Periodic check: order successors for certificates past two thirds of their lifetime. */
    private void renewDue() {
        try {
            for (Entry e : entries.values()) {
                if (e.cert != null) {
                    ensure(e);
                }
            }
        } catch (RuntimeException ex) {
            log.warn("ACME: renewal check failed: {}", ex.toString());
        }
    }
}
