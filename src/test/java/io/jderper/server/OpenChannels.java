package io.jderper.server;

import io.jderper.key.NodePrivateKey;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedded channels one test opened; after the test each is finished and whatever it still holds released, so
 * the leak check at the end of the class sees only what the code under test leaked. Register with
 * {@code @RegisterExtension}.
 */
final class OpenChannels implements AfterEachCallback {
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    /** A client of {@code server} that completed its handshake with {@code key}. */
    EmbeddedChannel connect(DerpServer server, NodePrivateKey key) {
        return track(RelayFixtures.connected(server, key));
    }

    EmbeddedChannel track(EmbeddedChannel channel) {
        channels.add(channel);
        return channel;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
        channels.clear();
    }
}
