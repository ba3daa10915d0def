package io.jderper.tls;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Predicate;

/**
 * Pending ACME HTTP-01 tokens and the answers the port-80 listener gives for
 * {@code /.well-known/acme-challenge/<token>} (spec §6.4).
 */
public final class AcmeChallenges {
    public static final String PATH_PREFIX = "/.well-known/acme-challenge/";
    /** RFC 8737 ALPN protocol of TLS-ALPN-01 validation handshakes. */
    public static final String ACME_TLS_ALPN = "acme-tls/1";

    /** How the port-80 listener must answer one request. */
    public record Answer(int status, String contentType, String body) {
    }

    private final ConcurrentMap<String, String> keyAuthorizations = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, CertifiedKey> tlsAlpnCertificates = new ConcurrentHashMap<>();
    private final boolean active;
    private final boolean ipCerts;
    private final Predicate<String> hostPolicy;
    private final String policyError;

    /**
     * @param active      false in manual mode: challenge paths are then ordinary paths (redirected)
     * @param ipCerts     IP certificates on: the validator connects by IP, so no Host check applies
     * @param hostPolicy  the names certificates may be ordered for, tested against the Host header as sent
     * @param policyError the message printed (after the quoted host) when the policy refuses a host
     */
    AcmeChallenges(boolean active, boolean ipCerts, Predicate<String> hostPolicy, String policyError) {
        this.active = active;
        this.ipCerts = ipCerts;
        this.hostPolicy = hostPolicy;
        this.policyError = policyError;
    }

    static AcmeChallenges inactive() {
        return new AcmeChallenges(false, false, h -> false, "");
    }

    void put(String token, String keyAuthorization) {
        keyAuthorizations.put(token, keyAuthorization);
    }

    void remove(String token) {
        keyAuthorizations.remove(token);
    }

    /** @param sni the server name the validator sends: the DNS name, or the reverse-DNS name of an IP (RFC 8738) */
    void putTlsAlpn(String sni, CertifiedKey certificate) {
        tlsAlpnCertificates.put(HostNames.normaliseDns(sni), certificate);
    }

    void removeTlsAlpn(String sni) {
        tlsAlpnCertificates.remove(HostNames.normaliseDns(sni));
    }

    /** Whether any TLS-ALPN-01 validation is expected now (cheap: asked once per accepted TLS connection). */
    boolean tlsAlpnPending() {
        return !tlsAlpnCertificates.isEmpty();
    }

    /** The pending TLS-ALPN-01 certificate for an SNI, or null. */
    CertifiedKey tlsAlpnCertificate(String sni) {
        return sni == null || tlsAlpnCertificates.isEmpty() ? null : tlsAlpnCertificates.get(HostNames.normaliseDns(sni));
    }

    /**
     * The answer for a request path, or empty when the path is not an ACME challenge (or ACME is off) and the
     * request goes on to the ordinary port-80 handling.
     *
     * @param path the request path without query
     * @param host the Host header exactly as sent, port included (the original compares it that way)
     */
    public Optional<Answer> answer(String path, String host) {
        if (!active || path == null || !path.startsWith(PATH_PREFIX)) {
            return Optional.empty();
        }
        String token = path.substring(PATH_PREFIX.length());
        String keyAuthorization = keyAuthorizations.get(token);
        if (ipCerts) {
            return Optional.of(keyAuthorization == null
                    ? new Answer(404, "text/plain; charset=utf-8", "404 page not found\n")
                    : new Answer(200, "text/plain", keyAuthorization));
        }
        String h = host == null ? "" : host;
        if (!hostPolicy.test(h)) {
            return Optional.of(new Answer(403, "text/plain; charset=utf-8", policyError.replace("%q", goQuote(h)) + "\n"));
        }
        if (keyAuthorization == null) {
            return Optional.of(new Answer(404, "text/plain; charset=utf-8", "acme/autocert: certificate cache miss\n"));
        }
        return Optional.of(new Answer(200, "text/plain", keyAuthorization));
    }

    static String goQuote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    int pending() {
        return keyAuthorizations.size() + tlsAlpnCertificates.size();
    }
}
