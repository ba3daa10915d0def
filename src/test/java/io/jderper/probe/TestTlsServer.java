package io.jderper.probe;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** TLS listeners on loopback that present exactly the chain given (handshake only; nothing is served). */
final class TestTlsServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<Channel> channels = new ArrayList<>();

    /** Listens on 127.0.0.1 and returns the port. */
    synchronized int serve(PrivateKey key, X509Certificate... chain) throws Exception {
        // A key manager, not a key store: a key store refuses a chain with the (unrelated) meta certificate in it.
        SslContext ctx = SslContextBuilder.forServer(new FixedKeyManager(key, chain)).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build();
        Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(ctx.newHandler(c.alloc()));
                        c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext x, Throwable cause) {
                                x.close(); // the client's refusals are what the tests provoke
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        channels.add(ch);
        return ((InetSocketAddress) ch.localAddress()).getPort();
    }

    synchronized void closeListeners() {
        channels.forEach(Channel::close);
        channels.clear();
    }

    @Override
    public void close() {
        closeListeners();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Presents one fixed chain, whatever it contains. */
    static final class FixedKeyManager extends X509ExtendedKeyManager {
        private final PrivateKey key;
        private final X509Certificate[] chain;

        FixedKeyManager(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return keyType.equals(key.getAlgorithm()) ? "only" : null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return keyType.equals(key.getAlgorithm()) ? "only" : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[] {"only"};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
