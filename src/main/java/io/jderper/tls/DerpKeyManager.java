package io.jderper.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.InetAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Serves, per handshake, whatever certificate the selector picks, with the meta certificate appended last.
 * JSSE asks for an alias first and for the chain and key afterwards, so every served certificate gets an alias
 * naming that exact instance; a reload between the calls cannot mix an old key with a new chain.
 */
final class DerpKeyManager extends X509ExtendedKeyManager {
    private static final Logger log = LoggerFactory.getLogger(DerpKeyManager.class);
    private static final String ALIAS_PREFIX = "derp-";
    /** Aliases only have to outlive one handshake; a few dozen recent ones is plenty. */
    private static final int RECENT_ALIASES = 64;

    private final CertificateSelector selector;
    private final X509Certificate metaCertificate;
    private final EngineAddresses addresses;
    private final Map<String, Served> recent = new LinkedHashMap<>(RECENT_ALIASES * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Served> eldest) {
            return size() > RECENT_ALIASES;
        }
    };

    private record Served(PrivateKey key, X509Certificate[] chain) {
    }

    DerpKeyManager(CertificateSelector selector, MetaCertificate metaCertificate, EngineAddresses addresses) {
        this.selector = selector;
        this.metaCertificate = metaCertificate.certificate();
        this.addresses = addresses;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, engine == null ? null : engine.getHandshakeSession(), addresses.localAddress(engine),
                applicationProtocol(engine));
    }

    /** JSSE has chosen ALPN by now; OpenSSL has not, and the ClientHello sniffer left a mark for validations. */
    private String applicationProtocol(SSLEngine engine) {
        if (engine == null) {
            return null;
        }
        String selected = engine.getHandshakeApplicationProtocol();
        if (selected != null && !selected.isEmpty()) {
            return selected;
        }
        return addresses.acmeValidation(engine) ? AcmeChallenges.ACME_TLS_ALPN : selected;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession session = socket instanceof SSLSocket s ? s.getHandshakeSession() : null;
        return choose(keyType, session, socket == null ? null : socket.getLocalAddress(),
                socket instanceof SSLSocket s ? s.getHandshakeApplicationProtocol() : null);
    }

    private String choose(String keyType, SSLSession session, InetAddress local, String alpn) {
        var handshake = new CertificateSelector.Handshake(serverName(session), local, alpn);
        CertifiedKey key = selector.select(handshake);
        if (key == null) {
            // JSSE asks once per acceptable key type; refusing all of them fails the handshake.
            if (log.isDebugEnabled()) {
                log.debug("TLS: no certificate for SNI {} on {} (key type {})", handshake.serverName(), local, keyType);
            }
            return null;
        }
        if (!key.keyType().equalsIgnoreCase(keyType)) {
            return null;
        }
        // An ACME validator gets the bare challenge certificate: it expects exactly that one.
        boolean withMeta = !handshake.acmeTlsAlpn();
        String alias = ALIAS_PREFIX + key.id();
        synchronized (recent) {
            recent.computeIfAbsent(alias, a -> {
                X509Certificate[] chain = key.chain().toArray(new X509Certificate[key.chain().size() + (withMeta ? 1 : 0)]);
                if (withMeta) {
                    chain[chain.length - 1] = metaCertificate;
                }
                return new Served(key.privateKey(), chain);
            });
        }
        return alias;
    }

    static String serverName(SSLSession session) {
        if (session instanceof ExtendedSSLSession ext) {
            for (SNIServerName n : ext.getRequestedServerNames()) {
                if (n.getType() == StandardConstants.SNI_HOST_NAME) {
                    return n instanceof SNIHostName h ? h.getAsciiName()
                            : new SNIHostName(n.getEncoded()).getAsciiName();
                }
            }
        }
        return null;
    }

    private Served served(String alias) {
        synchronized (recent) {
            return recent.get(alias);
        }
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Served s = served(alias);
        if (s == null) {
            log.debug("TLS alias {} no longer known", alias);
            return null;
        }
        return s.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Served s = served(alias);
        return s == null ? null : s.key();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
