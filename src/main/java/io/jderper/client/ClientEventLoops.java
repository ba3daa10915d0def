package io.jderper.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** One shared, lazily started event loop group for clients in this JVM (native epoll when available). */
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
        DefaultThreadFactory tf = new DefaultThreadFactory(name, true);
        return Epoll.isAvailable()
                ? new MultiThreadIoEventLoopGroup(threads, tf, EpollIoHandler.newFactory())
                : new MultiThreadIoEventLoopGroup(threads, tf, NioIoHandler.newFactory());
    }

    public static Class<? extends SocketChannel> channelClass() {
        return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
