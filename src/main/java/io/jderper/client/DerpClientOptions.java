package io.jderper.client;

import io.jderper.key.MeshKey;
import io.jderper.key.NodePublicKey;
import io.netty.handler.ssl.SslContext;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How a {@link DerpClient} connects.
 *
 * @param meshKey         presented in ClientInfo to become a mesh peer (null = regular client)
 * @param prober          sets {@code IsProber} in ClientInfo
 * @param canAckPings     sets {@code CanAckPings}
 * @param webSocket       carry DERP in WebSocket binary messages (subprotocol {@code derp})
 * @param fastStart       skip the 101 response: send ClientInfo right behind the request (needs {@code knownServerKey})
 * @param knownServerKey  the server's key when known in advance (fast start; otherwise checked against ServerKey)
 * @param sslContext      TLS client context, for {@code https}/{@code wss} URLs
 * @param dialAddress     connect here instead of resolving the URL's host (mesh {@code host/dial-host} entries)
 * @param idealNode       value of the {@code Ideal-Node} header, or null
 * @param connectTimeout  budget for TCP, TLS, upgrade and handshake together
 */
public record DerpClientOptions(MeshKey meshKey, boolean prober, boolean canAckPings, boolean webSocket,
                                boolean fastStart, NodePublicKey knownServerKey, SslContext sslContext,
                                InetSocketAddress dialAddress, String idealNode, Duration connectTimeout) {

    public static DerpClientOptions defaults() {
        return new DerpClientOptions(null, false, true, false, false, null, null, null, null, Duration.ofSeconds(10));
    }

    public DerpClientOptions withMeshKey(MeshKey key) {
        return new DerpClientOptions(key, prober, false, webSocket, fastStart, knownServerKey, sslContext, dialAddress, idealNode, connectTimeout);
    }

    public DerpClientOptions withProber(boolean p) {
        return new DerpClientOptions(meshKey, p, canAckPings, webSocket, fastStart, knownServerKey, sslContext, dialAddress, idealNode, connectTimeout);
    }

    public DerpClientOptions withWebSocket(boolean ws) {
        return new DerpClientOptions(meshKey, prober, canAckPings, ws, fastStart, knownServerKey, sslContext, dialAddress, idealNode, connectTimeout);
    }

    public DerpClientOptions withFastStart(NodePublicKey serverKey) {
        return new DerpClientOptions(meshKey, prober, canAckPings, webSocket, true, serverKey, sslContext, dialAddress, idealNode, connectTimeout);
    }

    public DerpClientOptions withSslContext(SslContext ctx) {
        return new DerpClientOptions(meshKey, prober, canAckPings, webSocket, fastStart, knownServerKey, ctx, dialAddress, idealNode, connectTimeout);
    }

    public DerpClientOptions withDialAddress(InetSocketAddress address) {
        return new DerpClientOptions(meshKey, prober, canAckPings, webSocket, fastStart, knownServerKey, sslContext, address, idealNode, connectTimeout);
    }

    public DerpClientOptions withIdealNode(String name) {
        return new DerpClientOptions(meshKey, prober, canAckPings, webSocket, fastStart, knownServerKey, sslContext, dialAddress, name, connectTimeout);
    }

    public DerpClientOptions withConnectTimeout(Duration timeout) {
        return new DerpClientOptions(meshKey, prober, canAckPings, webSocket, fastStart, knownServerKey, sslContext, dialAddress, idealNode, timeout);
    }
}
