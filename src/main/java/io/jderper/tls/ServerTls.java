package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.TlsProperties;
import io.jderper.key.NodePublicKey;
import io.jderper.pipeline.PipelineNames;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.netty.http.server.HttpServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * TLS for the main listener: one Netty {@link SslContext} whose certificate is chosen per handshake by the
 * configured mode (manual files, or ACME), always followed by the DERP meta certificate. As a lifecycle bean it
 * runs the background work of the mode: the manual-mode file watch, or ACME ordering and renewal.
 */
public final class ServerTls implements SmartLifecycle, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    static final URI LETSENCRYPT_DIRECTORY = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    static final URI GCP_DIRECTORY = URI.create("https://dv.acme-v02.api.pki.goog/directory");
    static final Duration ACME_TIMEOUT = Duration.ofMinutes(3);
    static final Duration RENEW_CHECK_INTERVAL = Duration.ofHours(1);

    private final String mode;
    private final MetaCertificate metaCertificate;
    private final EngineAddresses engineAddresses = new EngineAddresses();
    private final TlsProvider provider;
    private final SslContext sslContext;
    private final AcmeChallenges challenges;
    private final ManualCertificates manual;
    private final AcmeCertificates acme;
    private final Duration reloadInterval;
    private final ScheduledExecutorService worker;
    private volatile boolean running;
    private final AtomicBoolean released = new AtomicBoolean();

    private ServerTls(String mode, MetaCertificate meta, ManualCertificates manual, AcmeCertificates acme,
                      AcmeChallenges challenges, Duration reloadInterval, ScheduledExecutorService worker,
                      TlsProvider provider) {
        this.mode = mode;
        this.metaCertificate = meta;
        this.manual = manual;
        this.acme = acme;
        this.challenges = challenges;
        this.reloadInterval = reloadInterval;
        this.worker = worker;
        CertificateSelector selector = manual != null ? manual : acme;
        this.provider = provider;
        DerpKeyManager keyManager = new DerpKeyManager(selector, meta, engineAddresses);
        this.sslContext = provider == TlsProvider.OPENSSL
                ? TlsParameters.openSslServerContext(keyManager, acme != null)
                : TlsParameters.serverContext(keyManager, challenges);
    }

    /**
     * Validates the TLS settings (the original's fatal startup errors, spec §3.2) and loads what can be loaded.
     *
     * @throws IllegalStateException naming the offending derper.* properties
     */
    public static ServerTls create(DerperProperties core, TlsProperties tls, HttpPortProperties http, NodePublicKey serverKey) {
        String hostname = core.hostname();
        Path certDir = tls.certDir() != null ? tls.certDir() : defaultCertDir()
                .orElseThrow(() -> new IllegalStateException(
                        "derper.tls.cert-dir must be set: no default cache directory ($XDG_CACHE_HOME and $HOME are unset)"));
        if (certDir.toString().isEmpty()) {
            throw new IllegalStateException("derper.tls.cert-dir must not be empty");
        }
        TlsProperties.Acme a = tls.acme();
        if (a.ipCerts() && !tls.mode().equals("letsencrypt")) {
            throw new IllegalStateException("derper.tls.acme.ip-certs requires derper.tls.mode=letsencrypt");
        }
        TlsProvider provider = TlsProvider.choose(tls.provider());
        MetaCertificate meta = MetaCertificate.create(serverKey);
        Duration reload = tls.reloadInterval() == null ? Duration.ZERO : tls.reloadInterval();
        if (tls.mode().equals("manual")) {
            ManualCertificates manual = ManualCertificates.open(certDir, hostname);
            return new ServerTls("manual", meta, manual, null, AcmeChallenges.inactive(), reload, newWorker(), provider);
        }
        boolean ipHostname = HostNames.ipLiteral(hostname).isPresent();
        boolean gcp = tls.mode().equals("gcp");
        if (ipHostname && gcp) {
            throw new IllegalStateException("derper.tls.mode=gcp requires derper.hostname to be a DNS name, not an IP address");
        }
        if (ipHostname && !a.ipCerts()) {
            throw new IllegalStateException("derper.hostname is an IP address; use derper.tls.mode=manual for a self-signed "
                    + "certificate, or set derper.tls.acme.ip-certs=true to get ACME certificates for IP addresses");
        }
        AcmeClient.Eab eab = null;
        if (gcp) {
            if (a.eabKid().isEmpty() || a.eabKey().isEmpty()) {
                throw new IllegalStateException("derper.tls.mode=gcp requires derper.tls.acme.eab-kid and derper.tls.acme.eab-key");
            }
            if (a.email().isEmpty()) {
                throw new IllegalStateException("derper.tls.mode=gcp requires derper.tls.acme.email");
            }
        }
        if (!a.eabKid().isEmpty() || !a.eabKey().isEmpty()) {
            if (a.eabKid().isEmpty() || a.eabKey().isEmpty()) {
                throw new IllegalStateException("derper.tls.acme.eab-kid and derper.tls.acme.eab-key must be set together");
            }
            eab = new AcmeClient.Eab(a.eabKid(), decodeEabKey(a.eabKey()));
        }
        String email = a.email();
        if (email.isEmpty() && hostname.equals(HostNames.TAILSCALE_PROD_HOSTNAME)) {
            email = "security@tailscale.com";
        }
        // An empty value (as deployment files write "unset") means the default.
        boolean customDirectory = a.directoryUrl() != null && !a.directoryUrl().toString().isEmpty();
        URI directory = customDirectory ? a.directoryUrl() : gcp ? GCP_DIRECTORY : LETSENCRYPT_DIRECTORY;
        List<java.security.cert.X509Certificate> trust = List.of();
        if (a.directoryCa() != null && !a.directoryCa().toString().isEmpty()) {
            try {
                trust = AcmeClient.readTrust(a.directoryCa());
            } catch (Exception e) {
                throw new IllegalStateException("derper.tls.acme.directory-ca: cannot read " + a.directoryCa() + ": " + e.getMessage(), e);
            }
        }
        Predicate<String> policy = hostPolicy(hostname);
        String policyError = hostname.equals(HostNames.TAILSCALE_PROD_HOSTNAME)
                ? "invalid hostname" : "acme/autocert: host %q not configured in HostWhitelist";
        AcmeChallenges challenges = new AcmeChallenges(true, a.ipCerts(), policy, policyError);
        java.security.KeyPair accountKey;
        try {
            CertFiles.ensureDirectory(certDir);
            accountKey = AcmeCertificates.loadOrCreateAccountKey(
                    certDir.resolve(AcmeCertificates.accountKeyFileName(!ipHostname)));
        } catch (Exception e) {
            throw new IllegalStateException("derper.tls.cert-dir=" + certDir + ": cannot load or create the ACME account key: "
                    + e.getMessage(), e);
        }
        ScheduledExecutorService worker = newWorker();
        AcmeClient client = new AcmeClient(directory, accountKey, email, eab, trust, challenges, ACME_TIMEOUT, http.enabled());
        AcmeCertificates acme = new AcmeCertificates(hostname, a.ipCerts(), policy, certDir, client, challenges, worker,
                Clock.systemUTC());
        return new ServerTls(tls.mode(), meta, null, acme, challenges, reload, worker, provider);
    }

    /** SNI (and port-80 Host) names certificates may be ordered for: the host name; derp*.tailscale.com for the prod name. */
    static Predicate<String> hostPolicy(String hostname) {
        if (hostname.equals(HostNames.TAILSCALE_PROD_HOSTNAME)) {
            return HostNames::isTailscaleProdName;
        }
        String wanted = HostNames.normaliseDns(hostname);
        return name -> name != null && HostNames.normaliseDns(name).equals(wanted);
    }

    /** The EAB key as issued: base64url without padding, or standard base64 (as gcloud prints it). */
    static byte[] decodeEabKey(String text) {
        try {
            return Base64.getUrlDecoder().decode(text);
        } catch (IllegalArgumentException notUrl) {
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("derper.tls.acme.eab-key is not valid base64");
            }
        }
    }

    /** The original's default: the user cache directory + tailscale/derper-certs. */
    static Optional<Path> defaultCertDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache;
        if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
            cache = Path.of(xdg);
        } else {
            String home = System.getenv("HOME");
            if (home == null || home.isEmpty()) {
                return Optional.empty();
            }
            cache = Path.of(home, ".cache");
        }
        return Optional.of(cache.resolve("tailscale").resolve("derper-certs"));
    }

    private static ScheduledExecutorService newWorker() {
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "jderper-tls");
            t.setDaemon(true);
            return t;
        });
        ex.setRemoveOnCancelPolicy(true);
        return ex;
    }

    /** The context to hand to Reactor Netty: {@code httpServer.secure(spec -> spec.sslContext(sslContext()))}. */
    public SslContext sslContext() {
        return sslContext;
    }

    /**
     * Makes an HTTP server speak this TLS: sets the context and handshake timeout, and records each connection's
     * local address, which IP certificates are chosen by. Prefer this over {@link #sslContext()} alone.
     */
    public HttpServer secure(HttpServer server) {
        return server
                .secure(spec -> spec.sslContext(sslContext).handshakeTimeout(TlsParameters.HANDSHAKE_TIMEOUT))
                .doOnChannelInit((observer, channel, remote) -> {
                    ChannelHandlerContext tls = channel.pipeline().context(SslHandler.class);
                    if (tls == null) {
                        return;
                    }
                    SslHandler ssl = (SslHandler) tls.handler();
                    if (channel.localAddress() instanceof InetSocketAddress local) {
                        engineAddresses.register(ssl.engine(), local.getAddress());
                    }
                    // JSSE learns the ALPN offer before it asks for a certificate; OpenSSL does not.
                    if (provider == TlsProvider.OPENSSL && challenges.tlsAlpnPending()) {
                        channel.pipeline().addBefore(tls.name(), PipelineNames.ACME_VALIDATION_SNIFFER,
                                new AcmeValidationSniffer(challenges, engineAddresses));
                    }
                });
    }

    /** The TLS implementation in use (derper.tls.provider, resolved). */
    TlsProvider provider() {
        return provider;
    }

    /**
     * Releases the OpenSSL context's native memory once nothing can start a handshake any more (the bean's
     * destroy step, after the listeners have stopped). Connections still open keep it alive until they close.
     */
    @Override
    public void close() {
        stop();
        if (released.compareAndSet(false, true)) {
            ReferenceCountUtil.release(sslContext);
        }
    }

    public MetaCertificate metaCertificate() {
        return metaCertificate;
    }

    /** ACME HTTP-01 answers for the port-80 listener (inactive in manual mode). */
    public AcmeChallenges acmeChallenges() {
        return challenges;
    }

    public String mode() {
        return mode;
    }

    /** Orders a fresh ACME certificate now for a name or IP (operators, tests); fails in manual mode. */
    public CompletableFuture<CertifiedKey> renewNow(String nameOrIp) {
        if (acme == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not an ACME mode: " + mode));
        }
        return acme.renewNow(nameOrIp);
    }

    /** The certificate currently served for a name or IP, if any (for manual mode: the one certificate). */
    public Optional<CertifiedKey> currentCertificate(String nameOrIp) {
        return manual != null ? Optional.ofNullable(manual.current()) : acme.current(nameOrIp);
    }

    @Override
    public void start() {
        if (running) {
            return;
        }
        running = true;
        if (manual != null && !reloadInterval.isZero()) {
            long ms = reloadInterval.toMillis();
            worker.scheduleWithFixedDelay(() -> {
                try {
                    manual.reloadIfChanged();
                } catch (RuntimeException e) {
                    log.warn("TLS certificate reload check failed: {}", e.toString());
                }
            }, ms, ms, TimeUnit.MILLISECONDS);
        }
        if (acme != null) {
            acme.start(RENEW_CHECK_INTERVAL);
        }
    }

    @Override
    public void stop() {
        running = false;
        worker.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return TlsParameters.CERTIFICATES_PHASE;
    }
}
