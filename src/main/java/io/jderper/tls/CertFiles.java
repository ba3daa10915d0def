package io.jderper.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/** Reading and writing certificate material with the original's file modes. */
final class CertFiles {
    static final Set<PosixFilePermission> CERT_MODE = PosixFilePermissions.fromString("rw-r--r--");
    static final Set<PosixFilePermission> KEY_MODE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private CertFiles() {
    }

    /** Creates the directory (and parents) with mode 0700 where missing; an existing directory is left alone. */
    static void ensureDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            ensureDirectory(parent);
        }
        if (POSIX) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        } else {
            Files.createDirectory(dir);
        }
    }

    /**
     * Replaces a file atomically: a watcher or a concurrent reader sees the old or the new content, never half.
     * The temporary file is created with the final mode so a key is never readable by others, not even briefly.
     */
    static void writeAtomically(Path file, String content, Set<PosixFilePermission> mode) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = POSIX
                ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(mode))
                : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.US_ASCII);
            if (POSIX) {
                Files.setPosixFilePermissions(tmp, mode);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Loads a chain and its key, checking that the key belongs to the leaf (as Go's LoadX509KeyPair does). */
    static CertifiedKey load(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = Pem.parseCertificates(Files.readString(certFile, StandardCharsets.US_ASCII));
        PrivateKey key = Pem.parsePrivateKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        return checked(key, chain);
    }

    /** Loads autocert's single-file format: the private key, then the chain. */
    static CertifiedKey loadCombined(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        return checked(Pem.parsePrivateKey(pem), Pem.parseCertificates(pem));
    }

    static CertifiedKey checked(PrivateKey key, List<X509Certificate> chain) throws GeneralSecurityException {
        if (!keyMatches(key, chain.get(0).getPublicKey())) {
            throw new GeneralSecurityException("private key does not match the certificate's public key");
        }
        return CertifiedKey.of(key, chain);
    }

    private static boolean keyMatches(PrivateKey key, PublicKey pub) throws GeneralSecurityException {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new GeneralSecurityException("unsupported private key type " + key.getAlgorithm());
        };
        if (!key.getAlgorithm().equals(pub.getAlgorithm())
                && !(key.getAlgorithm().startsWith("Ed") && pub.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        Signature s = Signature.getInstance(alg);
        s.initSign(key);
        s.update(probe);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg);
        v.initVerify(pub);
        v.update(probe);
        return v.verify(sig);
    }
}
