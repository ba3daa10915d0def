package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * TLS on the main listener ({@code derper.tls.*}). TLS is on when the listen port is 443 or the mode is
 * {@code manual}, exactly as the original decides.
 *
 * @param mode    {@code -certmode}: where certificates come from: {@code manual} (files in the certificate
 *                directory), {@code letsencrypt} or {@code gcp} (ACME)
 * @param certDir {@code -certdir}: directory of the manual certificates ({@code <hostname>.crt} and
 *                {@code <hostname>.key}) or of the ACME account and certificates; unset = derper-certs in the user's
 *                cache directory
 * @param acme    ACME settings for letsencrypt/gcp
 * @param reloadInterval how often manual-mode certificate files are checked for changes (not in the original,
 *                       which needs a restart); 0 disables
 * @param provider       the TLS implementation: {@code auto} (OpenSSL when its native library loads, else the JDK's),
 *                       {@code openssl} (fail at startup without it) or {@code jdk}
 */
@ConfigurationProperties("derper.tls")
public record TlsProperties(
        @DefaultValue("letsencrypt") String mode,
        Path certDir,
        @DefaultValue Acme acme,
        @DefaultValue("5s") Duration reloadInterval,
        @DefaultValue("auto") String provider) {

    public TlsProperties {
        if (!mode.equals("manual") && !mode.equals("letsencrypt") && !mode.equals("gcp")) {
            throw new IllegalArgumentException("derper.tls.mode must be manual, letsencrypt or gcp; got '" + mode + "'");
        }
        if (provider == null) {
            provider = "auto";
        }
        if (!provider.equals("auto") && !provider.equals("openssl") && !provider.equals("jdk")) {
            throw new IllegalArgumentException("derper.tls.provider must be auto, openssl or jdk; got '" + provider + "'");
        }
        if (reloadInterval != null && reloadInterval.isNegative()) {
            throw new IllegalArgumentException("derper.tls.reload-interval must not be negative");
        }
    }

    /**
     * @param email        {@code -acme-email}: contact address of the ACME account (needed for gcp)
     * @param eabKid       {@code -acme-eab-kid}: key ID of the ACME External Account Binding (needed for gcp)
     * @param eabKey       {@code -acme-eab-key}: base64 HMAC key of the ACME External Account Binding (needed for gcp)
     * @param ipCerts      {@code -acme-ip-certs}: also obtain short-lived Let's Encrypt certificates for the IP
     *                     addresses clients connect to without a host name (letsencrypt mode; port 80 must be
     *                     reachable on each address)
     * @param directoryUrl ACME directory; empty = Let's Encrypt production (or Google for gcp)
     * @param directoryCa  PEM file of extra CA certificates trusted for the directory's HTTPS (private ACME CAs)
     */
    public record Acme(
            @DefaultValue("") String email,
            @DefaultValue("") String eabKid,
            @DefaultValue("") String eabKey,
            @DefaultValue("false") boolean ipCerts,
            URI directoryUrl,
            Path directoryCa) {
    }

    /** The original's rule: TLS when the port is 443 or the cert mode is manual; dev mode never. */
    public boolean tlsEnabled(DerperProperties core) {
        return !core.dev() && (core.listenAddress().port() == 443 || mode.equals("manual"));
    }
}
