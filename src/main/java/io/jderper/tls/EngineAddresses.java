package io.jderper.tls;

import javax.net.ssl.SSLEngine;
import java.net.InetAddress;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * What the key manager must know about a live TLS connection beyond what the engine tells it: the local IP, which
 * IP certificates are chosen by (clients connecting by IP send no SNI), and whether the ClientHello was an ACME
 * TLS-ALPN-01 validation (OpenSSL picks the certificate before it negotiates ALPN, so the key manager cannot ask
 * the engine). Weak keys: an entry disappears with its connection, nobody has to remember to remove it.
 */
final class EngineAddresses {
    private final Map<SSLEngine, InetAddress> byEngine = Collections.synchronizedMap(new WeakHashMap<>());
    private final Set<SSLEngine> acmeValidations = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    void register(SSLEngine engine, InetAddress local) {
        byEngine.put(engine, local);
    }

    InetAddress localAddress(SSLEngine engine) {
        return engine == null ? null : byEngine.get(engine);
    }

    void markAcmeValidation(SSLEngine engine) {
        acmeValidations.add(engine);
    }

    /** True when this engine's ClientHello offered acme-tls/1 for a name with a pending TLS-ALPN-01 challenge. */
    boolean acmeValidation(SSLEngine engine) {
        return engine != null && !acmeValidations.isEmpty() && acmeValidations.contains(engine);
    }
}
