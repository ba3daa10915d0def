package io.jderper.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * One shared, lazily started event loop group for clients in this JVM, and groups of their own for the mesh and the
 * load tool. Without a transport named, they run on {@link Transport#fromSystemProperty()}.
 */
public final class ClientEventLoops {
    private static volatile EventLoopGroup shared;

    private ClientEventLoops() {
    }

    public static EventLoopGroup shared() {
        EventLoopGroup g = shared;
        if (g == null) {
            synchronized (ClientEventLoops.class) {
                g = shared;
                if (g == null) {
                    shared = g = newGroup(Math.max(1, Runtime.getRuntime().availableProcessors()), "derp-client");
                }
            }
        }
        return g;
    }

    public static EventLoopGroup newGroup(int threads, String name) {
        return newGroup(threads, name, Transport.fromSystemProperty());
    }

    public static EventLoopGroup newGroup(int threads, String name, Transport transport) {
        return transport.newGroup(threads, new DefaultThreadFactory(name, true));
    }

    /** The socket channel class that fits {@code group}'s transport. */
    public static Class<? extends SocketChannel> channelClass(EventLoopGroup group) {
        return Transport.of(group).socketChannelClass();
    }
}
