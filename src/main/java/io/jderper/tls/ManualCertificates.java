package io.jderper.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code derper.tls.mode=manual}: {@code <cert-dir>/<name>.crt} and {@code .key} (spec §12.1). Unlike the original,
 * the files are watched: a replaced certificate is served to new connections without a restart, and a broken
 * replacement leaves the previous certificate in place.
 */
final class ManualCertificates implements CertificateSelector {
    private static final Logger log = LoggerFactory.getLogger(ManualCertificates.class);

    private final String hostname;
    private final boolean ipHostname;
    private final Path certFile;
    private final Path keyFile;
    private volatile CertifiedKey current;
    /** The file state last looked at, loaded or not: a broken file is reported once, not on every poll. */
    private FileState seen;

    private record FileState(Object certKey, long certMtime, long certSize, Object keyKey, long keyMtime, long keySize) {
        static FileState of(Path cert, Path key) {
            try {
                BasicFileAttributes c = Files.readAttributes(cert, BasicFileAttributes.class);
                BasicFileAttributes k = Files.readAttributes(key, BasicFileAttributes.class);
                return new FileState(c.fileKey(), c.lastModifiedTime().toMillis(), c.size(),
                        k.fileKey(), k.lastModifiedTime().toMillis(), k.size());
            } catch (IOException e) {
                return null;
            }
        }
    }

    private ManualCertificates(String hostname, Path certFile, Path keyFile, CertifiedKey initial, FileState state) {
        this.hostname = hostname;
        this.ipHostname = HostNames.ipLiteral(hostname).isPresent();
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.current = initial;
        this.seen = state;
    }

    /**
     * Loads the certificate at startup, creating a self-signed one for an IP host name without files.
     *
     * @throws IllegalStateException naming the properties involved, when the server must not start
     */
    static ManualCertificates open(Path certDir, String hostname) {
        String base = HostNames.fileBaseName(hostname);
        Path certFile = certDir.resolve(base + ".crt");
        Path keyFile = certDir.resolve(base + ".key");
        Optional<InetAddress> ip = HostNames.ipLiteral(hostname);
        CertifiedKey key;
        try {
            key = CertFiles.load(certFile, keyFile);
        } catch (NoSuchFileException missing) {
            if (ip.isEmpty()) {
                throw new IllegalStateException("derper.tls.mode=manual: cannot load the certificate for derper.hostname '"
                        + hostname + "': " + missing.getFile() + " does not exist (derper.tls.cert-dir=" + certDir + ")");
            }
            try {
                key = SelfSignedIpCertificate.createAndWrite(hostname, ip.get(), certFile, keyFile);
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("derper.tls.mode=manual: cannot create a self-signed certificate for derper.hostname '"
                        + hostname + "' in derper.tls.cert-dir=" + certDir + ": " + e.getMessage(), e);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("derper.tls.mode=manual: cannot load " + certFile + " / " + keyFile
                    + " for derper.hostname '" + hostname + "': " + e.getMessage(), e);
        }
        if (!HostNames.certificateMatches(key.leaf(), hostname)) {
            throw new IllegalStateException("derper.tls.mode=manual: certificate " + certFile
                    + " is not valid for derper.hostname '" + hostname + "'");
        }
        if (ip.isPresent()) {
            log.info("Using self-signed certificate for IP address \"{}\". Configure it in DERPMap using: "
                            + "(https://tailscale.com/s/custom-derp)\n  {\"Name\":\"custom\",\"RegionID\":900,\"HostName\":\"{}\",\"CertName\":\"{}\"}",
                    hostname, jsonEscape(hostname), SelfSignedIpCertificate.certName(key.leaf()));
        }
        return new ManualCertificates(hostname, certFile, keyFile, key, FileState.of(certFile, keyFile));
    }

    private static String jsonEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public CertifiedKey select(Handshake handshake) {
        // A DNS host name needs the exact SNI; with an IP host name any SNI (or none) is fine.
        if (!ipHostname && !hostname.equals(handshake.serverName())) {
            return null;
        }
        return current;
    }

    CertifiedKey current() {
        return current;
    }

    /**
     * Loads the files again if they changed since last looked at. Called from the watcher thread only.
     *
     * @return true if a new certificate is now served
     */
    synchronized boolean reloadIfChanged() {
        FileState now = FileState.of(certFile, keyFile);
        if (now == null || Objects.equals(now, seen)) {
            return false;
        }
        seen = now;
        CertifiedKey fresh;
        try {
            fresh = CertFiles.load(certFile, keyFile);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            log.warn("TLS certificate {} changed but cannot be loaded, keeping the previous one (valid until {}): {}",
                    certFile, current.notAfter(), e.toString());
            return false;
        }
        if (!HostNames.certificateMatches(fresh.leaf(), hostname)) {
            log.warn("TLS certificate {} changed but is not valid for derper.hostname '{}', keeping the previous one",
                    certFile, hostname);
            return false;
        }
        current = fresh;
        log.info("TLS certificate reloaded from {}: {}, valid until {}", certFile,
                fresh.leaf().getSubjectX500Principal().getName(), fresh.notAfter());
        return true;
    }
}
