package io.jderper.tls;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import org.springframework.context.SmartLifecycle;

import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.SimpleKeyManagerFactory;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

/**
 * Every TLS parameter of the main listener, in one place.
 * <ul>
 * <li>TLS 1.2 minimum like the original; JSSE prefers 1.3, which clients need for the meta-certificate fast start.</li>
 * <li>JDK provider: the key manager must run per handshake and append an Ed25519 certificate after an ECDSA or
 * RSA leaf, which JSSE does without complaint (checked by a test that parses the chain the client sees).</li>
 * <li>ALPN {@code acme-tls/1} is selected only while a TLS-ALPN-01 challenge for the SNI is pending.</li>
 * <li>ALPN: DERP clients send none, so HTTP/1.1 without ALPN is the case that matters. {@code http/1.1} is chosen
 * when offered; any other offer (say {@code h2} alone) gets no ALPN answer rather than a fatal alert, and the
 * connection speaks HTTP/1.1. {@code h2} is never advertised: a DERP upgrade cannot run over HTTP/2.</li>
 * <li>OpenSSL provider ({@link TlsProvider}): the same key manager, through a caching {@link KeyManagerFactory}
 * (the native chain and key are built once per served certificate, not per handshake). BoringSSL sends the
 * Ed25519 meta certificate after the leaf unchecked, as JSSE does. ALPN is a fixed list, chosen in the server's
 * order and unanswered when nothing matches: {@code http/1.1}, and {@code acme-tls/1} in the ACME modes.
 * Netty's reference-counted OpenSSL context ({@code OPENSSL_REFCNT}): engines are released by their SslHandler
 * when the connection closes and the context by {@link ServerTls#close()}, so no finaliser holds native memory.</li>
 * </ul>
 */
public final class TlsParameters {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    static final String HTTP_1_1 = "http/1.1";
    /** An empty answer tells JSSE to ignore ALPN for the connection; null would abort the handshake. */
    private static final String NO_ALPN = "";

    /** Handshake deadline; the original allows 30 s for handshake plus request head. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    /** Port-80 listener starts first, before the main listener (Boot starts the web server at DEFAULT_PHASE - 2048). */
    public static final int PORT80_PHASE = SmartLifecycle.DEFAULT_PHASE - 8192;
    /**
     * ACME ordering starts once both listeners are up, so HTTP-01 and TLS-ALPN-01 validations find them; it stops
     * before them. (Handshakes arriving earlier still work: the selector starts orders on its own.)
     */
    public static final int CERTIFICATES_PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

    /** Port-80 listener: 30 s to read a request, as the original (its 5 min write timeout has no equivalent here). */
    static final Duration PORT80_READ_TIMEOUT = Duration.ofSeconds(30);

    private TlsParameters() {
    }

    static SslContext serverContext(X509ExtendedKeyManager keyManager) {
        return serverContext(keyManager, AcmeChallenges.inactive());
    }

    static SslContext serverContext(X509ExtendedKeyManager keyManager, AcmeChallenges challenges) {
        SSLContext jdk;
        try {
            jdk = SSLContext.getInstance("TLS");
            jdk.init(new KeyManager[] {keyManager}, null, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot initialise the JDK TLS provider", e);
        }
        // Netty's ALPN support is left off: it would wrap the engine, and the key manager must see the very engine
        // the channel registered. ALPN is answered by the JDK's own selector instead (initEngine below).
        JdkSslContext netty = new JdkSslContext(jdk, false, null, IdentityCipherSuiteFilter.INSTANCE,
                ApplicationProtocolConfig.DISABLED, ClientAuth.NONE, PROTOCOLS.clone(), false);
        return new DelegatingSslContext(netty) {
            @Override
            protected void initEngine(SSLEngine engine) {
                engine.setHandshakeApplicationProtocolSelector((e, offered) -> selectApplicationProtocol(e, offered, challenges));
            }
        };
    }

    /**
     * @param acme whether ACME TLS-ALPN-01 validations may arrive (then {@code acme-tls/1} is a known protocol; the
     *             certificate for it is chosen through the mark {@link AcmeValidationSniffer} leaves)
     */
    static SslContext openSslServerContext(X509ExtendedKeyManager keyManager, boolean acme) {
        KeyManagerFactory factory = new OpenSslCachingX509KeyManagerFactory(new SimpleKeyManagerFactory() {
            @Override
            protected void engineInit(KeyStore keyStore, char[] password) {
            }

            @Override
            protected void engineInit(ManagerFactoryParameters params) {
            }

            @Override
            protected KeyManager[] engineGetKeyManagers() {
                return new KeyManager[] {keyManager};
            }
        });
        String[] alpn = acme ? new String[] {HTTP_1_1, AcmeChallenges.ACME_TLS_ALPN} : new String[] {HTTP_1_1};
        try {
            return SslContextBuilder.forServer(factory)
                    .sslProvider(SslProvider.OPENSSL_REFCNT)
                    .protocols(PROTOCOLS.clone())
                    .clientAuth(ClientAuth.NONE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, alpn))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot initialise the OpenSSL TLS provider (derper.tls.provider)", e);
        }
    }

    static String selectApplicationProtocol(SSLEngine engine, List<String> offered, AcmeChallenges challenges) {
        if (offered.contains(AcmeChallenges.ACME_TLS_ALPN)
                && challenges.tlsAlpnCertificate(DerpKeyManager.serverName(engine.getHandshakeSession())) != null) {
            return AcmeChallenges.ACME_TLS_ALPN;
        }
        return offered.contains(HTTP_1_1) ? HTTP_1_1 : NO_ALPN;
    }
}
