package io.jderper.mesh;

import io.jderper.client.ClientEventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP front for a node: optionally terminates TLS, pipes bytes to the node, and can freeze (stop reading from its
 * clients) to play a sibling whose link has stalled.
 */
final class FrontProxy implements AutoCloseable {
    private final Channel server;
    private final Set<Channel> fronts = ConcurrentHashMap.newKeySet();
    private volatile boolean frozen;

    private FrontProxy(InetSocketAddress bind, SslContext ssl, InetSocketAddress backend) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap().group(ClientEventLoops.shared())
                .channel(Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new Front(backend));
                    }
                });
        server = b.bind(bind).sync().channel();
    }

    static FrontProxy start(InetSocketAddress bind, SslContext ssl, InetSocketAddress backend) throws InterruptedException {
        return new FrontProxy(bind, ssl, backend);
    }

    /** Stops reading from every client connection (and any later one), so their writes back up. */
    void freeze(boolean on) {
        frozen = on;
        for (Channel c : fronts) {
            c.config().setAutoRead(!on);
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        fronts.forEach(Channel::close);
    }

    private final class Front extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress backend;
        private Channel back;

        Front(InetSocketAddress backend) {
            this.backend = backend;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel front = ctx.channel();
            fronts.add(front);
            Bootstrap b = new Bootstrap().group(front.eventLoop()).channel(ClientEventLoops.channelClass(front.eventLoop()))
                    .handler(new Pipe(front));
            b.connect(backend).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    back = f.channel();
                    front.config().setAutoRead(!frozen);
                    front.read();
                } else {
                    front.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (back != null && back.isActive()) {
                back.writeAndFlush(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fronts.remove(ctx.channel());
            if (back != null) {
                back.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static final class Pipe extends ChannelInboundHandlerAdapter {
        private final Channel other;

        Pipe(Channel other) {
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            other.writeAndFlush(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            other.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
