package io.jderper.tls;

import java.net.InetAddress;

/**
 * Picks the certificate for one TLS handshake. Runs on a Netty event loop inside the handshake, so it must
 * answer from memory: anything slow (files, ACME) happens elsewhere and only its result is looked up here.
 */
interface CertificateSelector {

    /**
     * @return the certificate to present, or null to fail the handshake
     */
    CertifiedKey select(Handshake handshake);

    /**
     * What is known about a handshake when the certificate is chosen.
     *
     * @param serverName          the SNI host name as sent, or null when the client sent none
     * @param localAddress        the server-side IP the client connected to, or null if unknown
     * @param applicationProtocol the ALPN protocol selected for this handshake, or null
     */
    record Handshake(String serverName, InetAddress localAddress, String applicationProtocol) {
        Handshake(String serverName, InetAddress localAddress) {
            this(serverName, localAddress, null);
        }

        boolean acmeTlsAlpn() {
            return AcmeChallenges.ACME_TLS_ALPN.equals(applicationProtocol);
        }
    }
}
