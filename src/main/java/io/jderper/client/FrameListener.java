package io.jderper.client;

import io.jderper.protocol.Frame;

/**
 * Receives what the server sends after the handshake, on the client's event loop. Packet frames are only valid during
 * the call: a listener that keeps one must {@code retain()} its buffer (the client releases it afterwards).
 */
public interface FrameListener {
    void onFrame(DerpClient client, Frame frame);

    default void onClose(DerpClient client, Throwable cause) {
    }
}
