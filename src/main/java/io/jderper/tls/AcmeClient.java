package io.jderper.tls;

import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One ACME account at one directory, ordering certificates with HTTP-01. Blocking: only ever called on the ACME
 * worker thread, never on a Netty event loop.
 */
final class AcmeClient {
    private static final Logger log = LoggerFactory.getLogger(AcmeClient.class);
    static final String SHORTLIVED_PROFILE = "shortlived";

    /** External Account Binding credentials (required by Google's CA, offered by others). */
    record Eab(String kid, byte[] hmacKey) {
    }

    private final URI directory;
    private final KeyPair accountKey;
    private final String email;
    private final Eab eab;
    private final List<X509Certificate> extraTrust;
    private final AcmeChallenges challenges;
    private final Duration timeout;
    private Login login;

    AcmeClient(URI directory, KeyPair accountKey, String email, Eab eab, List<X509Certificate> extraTrust,
               AcmeChallenges challenges, Duration timeout) {
        this.directory = directory;
        this.accountKey = accountKey;
        this.email = email;
        this.eab = eab;
        this.extraTrust = List.copyOf(extraTrust);
        this.challenges = challenges;
        this.timeout = timeout;
    }

    URI directory() {
        return directory;
    }

    /**
     * Orders, validates and downloads a certificate for one identifier, signed over {@code certKey}.
     *
     * @param preferShortLived ask for the {@code shortlived} profile when the CA offers profiles (IP certificates)
     * @return the chain, leaf first
     */
    synchronized List<X509Certificate> issue(Identifier identifier, KeyPair certKey, boolean preferShortLived)
            throws AcmeException, InterruptedException {
        Login l = login();
        OrderBuilder ob = l.newOrder().identifier(identifier);
        if (preferShortLived && l.getSession().getMetadata().isProfileAllowed(SHORTLIVED_PROFILE)) {
            ob.profile(SHORTLIVED_PROFILE);
        }
        Order order;
        try {
            order = ob.create();
        } catch (AcmeException e) {
            // A stale account (deactivated, or a fresh directory) shows up here; log in again next time.
            login = null;
            throw e;
        }
        for (Authorization auth : order.getAuthorizations()) {
            if (auth.getStatus() == Status.VALID) {
                continue;
            }
            Http01Challenge challenge = auth.findChallenge(Http01Challenge.class)
                    .orElseThrow(() -> new AcmeException("the CA offers no http-01 challenge for " + identifier.getValue()));
            challenges.put(challenge.getToken(), challenge.getAuthorization());
            try {
                challenge.trigger();
                Status s = auth.waitForCompletion(timeout);
                if (s != Status.VALID) {
                    throw new AcmeException("authorization for " + identifier.getValue() + " ended " + s
                            + challenge.getError().map(p -> ": " + p).orElse(""));
                }
            } finally {
                challenges.remove(challenge.getToken());
            }
        }
        Status ready = order.waitUntilReady(timeout);
        if (ready != Status.READY) {
            throw new AcmeException("order for " + identifier.getValue() + " is " + ready
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        order.execute(certKey);
        Status done = order.waitForCompletion(timeout);
        if (done != Status.VALID) {
            throw new AcmeException("order for " + identifier.getValue() + " ended " + done
                    + order.getError().map(p -> ": " + p).orElse(""));
        }
        return order.getCertificate().getCertificateChain();
    }

    private Login login() throws AcmeException {
        if (login == null) {
            Session session = extraTrust.isEmpty() ? new Session(directory) : new Session(directory, new TrustingProvider(extraTrust));
            AccountBuilder ab = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
            if (!email.isEmpty()) {
                ab.addEmail(email);
            }
            if (eab != null) {
                ab.withKeyIdentifier(eab.kid(), new SecretKeySpec(eab.hmacKey(), "HmacSHA256"));
            }
            login = ab.createLogin(session);
            log.info("ACME account at {}: {}", directory, login.getAccountLocation());
        }
        return login;
    }

    /** Reads a PEM bundle of CA certificates to trust for the directory's HTTPS, in addition to the JVM's. */
    static List<X509Certificate> readTrust(Path pemFile) throws IOException, CertificateException {
        return Pem.parseCertificates(Files.readString(pemFile, StandardCharsets.US_ASCII));
    }

    /** A generic provider whose HTTP client also trusts the given CAs (private ACME servers). */
    private static final class TrustingProvider extends GenericAcmeProvider {
        private final SSLContext sslContext;

        TrustingProvider(List<X509Certificate> extra) {
            try {
                TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                jvm.init((KeyStore) null);
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                int i = 0;
                for (X509TrustManager tm : trustManagers(jvm)) {
                    for (X509Certificate c : tm.getAcceptedIssuers()) {
                        ks.setCertificateEntry("jvm-" + i++, c);
                    }
                }
                for (X509Certificate c : extra) {
                    ks.setCertificateEntry("extra-" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                sslContext = SSLContext.getInstance("TLS");
                sslContext.init(null, tmf.getTrustManagers(), null);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot set up trust for the ACME directory", e);
            }
        }

        private static List<X509TrustManager> trustManagers(TrustManagerFactory f) {
            List<X509TrustManager> out = new ArrayList<>();
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    out.add(x);
                }
            }
            return out;
        }

        @Override
        public HttpClient createHttpClient(NetworkSettings settings) {
            HttpClient.Builder b = HttpClient.newBuilder()
                    .followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(settings.getTimeout())
                    .proxy(settings.getProxySelector())
                    .sslContext(sslContext);
            if (settings.getAuthenticator() != null) {
                b.authenticator(settings.getAuthenticator());
            }
            return b.build();
        }
    }
}
