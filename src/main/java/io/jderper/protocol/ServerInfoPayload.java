package io.jderper.protocol;

import java.nio.charset.StandardCharsets;

/** The JSON sealed into ServerInfo. The server never advertises a token bucket, so the text is constant. */
public final class ServerInfoPayload {
    public static final byte[] CURRENT = "{\"version\":2}".getBytes(StandardCharsets.UTF_8);

    private ServerInfoPayload() {
    }
}
