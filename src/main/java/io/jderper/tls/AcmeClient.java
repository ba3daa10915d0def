package io.jderper.tls;

import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Identifier;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
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
    private final boolean http01;
    private Login login;

    /** A failed or impossible validation with one challenge type: the next type may still succeed. */
    private static final class ValidationFailed extends AcmeException {
        ValidationFailed(String message) {
            super(message);
        }
    }

    /**
     * @param http01 whether the port-80 listener runs (HTTP-01 possible); TLS-ALPN-01 always is, on the main port
     */
    AcmeClient(URI directory, KeyPair accountKey, String email, Eab eab, List<X509Certificate> extraTrust,
               AcmeChallenges challenges, Duration timeout, boolean http01) {
        this.directory = directory;
        this.accountKey = accountKey;
        this.email = email;
        this.eab = eab;
        this.extraTrust = List.copyOf(extraTrust);
        this.challenges = challenges;
        this.timeout = timeout;
        this.http01 = http01;
    }

    URI directory() {
        return directory;
    }

    /**
     * Challenge types to try, in order. Host names: TLS-ALPN-01 first, as autocert does; IP addresses: HTTP-01
     * first, as the original's IP certificates do. Each falls back to the other.
     */
    List<String> challengeTypes(Identifier identifier) {
        List<String> types = new ArrayList<>();
        boolean ip = Identifier.TYPE_IP.equals(identifier.getType());
        if (!ip) {
            types.add(TlsAlpn01Challenge.TYPE);
        }
        if (http01) {
            types.add(Http01Challenge.TYPE);
        }
        if (ip) {
            types.add(TlsAlpn01Challenge.TYPE);
        }
        return types;
    }

    /**
     * Orders, validates and downloads a certificate for one identifier, signed over {@code certKey}.
     *
     * @param preferShortLived ask for the {@code shortlived} profile when the CA offers profiles (IP certificates)
     * @return the chain, leaf first
     */
    synchronized List<X509Certificate> issue(Identifier identifier, KeyPair certKey, boolean preferShortLived)
            throws AcmeException, InterruptedException {
        ValidationFailed last = null;
        for (String type : challengeTypes(identifier)) {
            try {
                return issueWith(type, identifier, certKey, preferShortLived);
            } catch (ValidationFailed e) {
                log.info("ACME: {} validation for {} failed: {}", type, identifier.getValue(), e.getMessage());
                last = e;
            }
        }
        throw last != null ? last : new AcmeException("no challenge type usable for " + identifier.getValue());
    }

    private List<X509Certificate> issueWith(String type, Identifier identifier, KeyPair certKey, boolean preferShortLived)
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
            if (auth.getStatus() != Status.VALID) {
                authorize(type, auth);
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

    private void authorize(String type, Authorization auth) throws AcmeException, InterruptedException {
        Identifier id = auth.getIdentifier();
        Challenge challenge = auth.findChallenge(type)
                .orElseThrow(() -> new ValidationFailed("the CA offers no " + type + " challenge"));
        Runnable cleanup;
        if (challenge instanceof Http01Challenge http) {
            challenges.put(http.getToken(), http.getAuthorization());
            cleanup = () -> challenges.remove(http.getToken());
        } else if (challenge instanceof TlsAlpn01Challenge alpn) {
            KeyPair validationKey;
            try {
                validationKey = AcmeCertificates.newEcKey();
            } catch (java.security.GeneralSecurityException e) {
                throw new AcmeException("cannot make a TLS-ALPN-01 key: " + e);
            }
            X509Certificate cert = tlsAlpnCertificate(validationKey, id, alpn.getAcmeValidation());
            String sni = Identifier.TYPE_IP.equals(id.getType()) ? HostNames.reverseName(id.getIP()) : id.getDomain();
            challenges.putTlsAlpn(sni, CertifiedKey.of(validationKey.getPrivate(), List.of(cert)));
            cleanup = () -> challenges.removeTlsAlpn(sni);
        } else {
            throw new ValidationFailed("unsupported challenge type " + type);
        }
        try {
            challenge.trigger();
            Status s = auth.waitForCompletion(timeout);
            if (s != Status.VALID) {
                challenge.fetch();
                throw new ValidationFailed("authorization ended " + s + challenge.getError().map(p -> ": " + p).orElse(""));
            }
        } finally {
            cleanup.run();
        }
    }

    /**
     * The RFC 8737 validation certificate: self-signed, the identifier as its only SAN, and the critical
     * acmeIdentifier extension holding SHA-256 of the key authorization. Built here rather than by acme4j, whose
     * helper signs through the BouncyCastle provider and so refuses the JDK's keys.
     */
    static X509Certificate tlsAlpnCertificate(KeyPair key, Identifier id, byte[] acmeValidation) throws AcmeException {
        try {
            var name = new org.bouncycastle.asn1.x500.X500Name("CN=acme-tls-alpn-01");
            java.time.Instant now = java.time.Instant.now();
            var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name,
                    new java.math.BigInteger(64, new java.security.SecureRandom()).setBit(63),
                    java.util.Date.from(now.minus(Duration.ofDays(1))), java.util.Date.from(now.plus(Duration.ofDays(7))),
                    name, key.getPublic());
            var san = Identifier.TYPE_IP.equals(id.getType())
                    ? new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress,
                            new org.bouncycastle.asn1.DEROctetString(id.getIP().getAddress()))
                    : new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, id.getDomain());
            b.addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
                    new org.bouncycastle.asn1.x509.GeneralNames(san));
            b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier(TlsAlpn01Challenge.ACME_VALIDATION_OID), true,
                    new org.bouncycastle.asn1.DEROctetString(acmeValidation));
            var signer = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate());
            return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (Exception e) {
            throw new AcmeException("cannot build the TLS-ALPN-01 certificate: " + e);
        }
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
