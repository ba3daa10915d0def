package io.jderper.tls;

import javax.net.ssl.SSLEngine;
import java.net.InetAddress;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The local IP of each live TLS connection, keyed by its SSLEngine. JSSE gives the key manager only the engine,
 * but IP certificates are chosen by the address the client dialled (clients connecting by IP send no SNI).
 * Weak keys: an entry disappears with its connection, nobody has to remember to remove it.
 */
final class EngineAddresses {
    private final Map<SSLEngine, InetAddress> byEngine = Collections.synchronizedMap(new WeakHashMap<>());

    void register(SSLEngine engine, InetAddress local) {
        byEngine.put(engine, local);
    }

    InetAddress localAddress(SSLEngine engine) {
        return engine == null ? null : byEngine.get(engine);
    }
}
