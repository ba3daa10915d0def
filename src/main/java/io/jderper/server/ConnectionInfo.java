package io.jderper.server;

import java.net.InetSocketAddress;

/**
 * What the HTTP layer learned about a connection before handing it to the relay.
 *
 * @param remote    the client's address (PeerPresent, admission {@code Source})
 * @param notIdeal  the upgrade carried a non-empty {@code Ideal-Node} header
 * @param websocket the DERP stream is carried in WebSocket messages
 */
public record ConnectionInfo(InetSocketAddress remote, boolean notIdeal, boolean websocket) {
}
