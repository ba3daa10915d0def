package io.jderper.mesh;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The TLS client contexts of the mesh links: one that checks the sibling's host name, one for siblings named by
 * address. With {@code derper.mesh.ca-file} the trust comes from that file, and the contexts are rebuilt when the file
 * changes: in a region of self-signed nodes the file often gains a sibling's certificate only once that sibling has
 * started, and a link must not keep failing on trust read before then. Built once at startup so a bad file fails fast.
 */
final class SiblingTls {
    private static final Logger log = LoggerFactory.getLogger(SiblingTls.class);

    private final Path caFile;
    private volatile Contexts current;

    private record Contexts(SslContext host, SslContext address, long modified, long size) {
    }

    /** @param caFile the trusted CAs, or null for the system's */
    SiblingTls(Path caFile) {
        this.caFile = caFile;
        String property = caFile == null ? "derper.mesh.tls" : "derper.mesh.ca-file (" + caFile + ")";
        try {
            current = build();
        } catch (IllegalArgumentException | IOException e) {
            throw new IllegalStateException(property + ": cannot build the TLS client context: " + e.getMessage(), e);
        }
    }

    /** The context for the next attempt, from the CA file as it is now. */
    SslContext context(boolean checkHostName) {
        Contexts c = current;
        if (caFile != null) {
            try {
                BasicFileAttributes a = Files.readAttributes(caFile, BasicFileAttributes.class);
                if (a.lastModifiedTime().toMillis() != c.modified() || a.size() != c.size()) {
                    c = build();
                    current = c;
                    log.info("mesh: reloaded the sibling CAs from {}", caFile);
                }
            } catch (IllegalArgumentException | IOException e) {
                // A file caught half-written, or broken: keep the trust already in use, try again next attempt.
                log.warn("mesh: cannot reload the sibling CAs from {} ({}); keeping the previous ones", caFile, e.getMessage());
            }
        }
        return checkHostName ? c.host() : c.address();
    }

    private Contexts build() throws IOException {
        long modified = 0;
        long size = 0;
        if (caFile != null) {
            BasicFileAttributes a = Files.readAttributes(caFile, BasicFileAttributes.class);
            modified = a.lastModifiedTime().toMillis();
            size = a.size();
        }
        return new Contexts(newContext(true), newContext(false), modified, size);
    }

    private SslContext newContext(boolean checkHostName) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).endpointIdentificationAlgorithm(checkHostName ? "HTTPS" : null);
        if (caFile != null) {
            b.trustManager(caFile.toFile());
        }
        return b.build();
    }
}
