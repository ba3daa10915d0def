package io.jderper.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which TLS implementation serves the main listener ({@code derper.tls.provider}).
 * <ul>
 * <li>{@link #OPENSSL}: BoringSSL through netty-tcnative. A TLS 1.3 handshake costs about a fifth of the JDK's
 * CPU, and records are sealed and opened in native code without copies into heap arrays.</li>
 * <li>{@link #JDK}: JSSE, the fallback where the native library cannot load (another OS or architecture, a
 * read-only temporary directory, a sandbox refusing native code).</li>
 * </ul>
 * {@code auto} takes OpenSSL when it loads and can work with our per-handshake key manager, else the JDK.
 */
enum TlsProvider {
    OPENSSL,
    JDK;

    private static final Logger log = LoggerFactory.getLogger(TlsProvider.class);

    /** What OpenSSL must offer to serve exactly what the JDK provider serves. */
    static boolean openSslUsable() {
        return OpenSsl.isAvailable() && OpenSsl.supportsKeyManagerFactory()
                && SslProvider.isTlsv13Supported(SslProvider.OPENSSL_REFCNT);
    }

    /**
     * @param property the value of {@code derper.tls.provider}: auto, openssl or jdk
     * @throws IllegalStateException when openssl is asked for and cannot be used
     */
    static TlsProvider choose(String property) {
        return switch (property) {
            case "jdk" -> JDK;
            case "openssl" -> {
                if (!openSslUsable()) {
                    throw new IllegalStateException("derper.tls.provider=openssl, but OpenSSL cannot be used here: "
                            + whyNot() + "; set derper.tls.provider=auto or jdk");
                }
                yield OPENSSL;
            }
            case "auto" -> {
                if (openSslUsable()) {
                    log.info("TLS provider: OpenSSL ({})", OpenSsl.versionString());
                    yield OPENSSL;
                }
                log.info("TLS provider: JDK (OpenSSL not usable: {})", whyNot());
                yield JDK;
            }
            default -> throw new IllegalStateException("derper.tls.provider must be auto, openssl or jdk; got '" + property + "'");
        };
    }

    private static String whyNot() {
        if (!OpenSsl.isAvailable()) {
            Throwable cause = OpenSsl.unavailabilityCause();
            return cause == null ? "native library not loaded" : cause.toString();
        }
        if (!OpenSsl.supportsKeyManagerFactory()) {
            return OpenSsl.versionString() + " does not support a KeyManagerFactory";
        }
        return OpenSsl.versionString() + " does not support TLS 1.3";
    }
}
