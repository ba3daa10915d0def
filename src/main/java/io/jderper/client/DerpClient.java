package io.jderper.client;

import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.pipeline.PipelineNames;
import io.jderper.protocol.ClientInfoPayload;
import io.jderper.protocol.Frame;
import io.jderper.protocol.FrameDecoder;
import io.jderper.protocol.FrameWriter;
import io.jderper.protocol.FrameType;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A DERP client over HTTP(S) or WebSocket: the counterpart used by tests, the mesh, the prober and the load tool.
 * {@link #connect} completes once ServerInfo has been received and opened. Sending methods may be called from any
 * thread; received frames go to the {@link FrameListener} on the client's event loop.
 */
public final class DerpClient {
    private final NodePrivateKey key;
    private final DerpClientOptions options;
    private final FrameListener listener;
    private final CompletableFuture<DerpClient> connected = new CompletableFuture<>();
    private final Map<Long, CompletableFuture<Void>> pendingPings = new ConcurrentHashMap<>();
    private volatile Channel channel;
    private volatile NodePublicKey serverKey;

    private DerpClient(NodePrivateKey key, DerpClientOptions options, FrameListener listener) {
        this.key = key;
        this.options = options;
        this.listener = listener;
    }

    public static CompletableFuture<DerpClient> connect(URI url, NodePrivateKey key, DerpClientOptions options,
                                                        FrameListener listener) {
        return connect(url, key, options, listener, ClientEventLoops.shared());
    }

    public static CompletableFuture<DerpClient> connect(URI url, NodePrivateKey key, DerpClientOptions options,
                                                        FrameListener listener, EventLoopGroup group) {
        DerpClient client = new DerpClient(key, options, listener);
        client.start(url, group);
        return client.connected;
    }

    public NodePublicKey publicKey() {
        return key.publicKey();
    }

    public NodePublicKey serverKey() {
        return serverKey;
    }

    public Channel channel() {
        return channel;
    }

    public boolean isOpen() {
        Channel c = channel;
        return c != null && c.isActive();
    }

    public CompletableFuture<Void> closeFuture() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        channel.closeFuture().addListener(x -> f.complete(null));
        return f;
    }

    private void start(URI url, EventLoopGroup group) {
        String scheme = url.getScheme();
        boolean tls = scheme.equals("https") || scheme.equals("wss");
        boolean ws = options.webSocket() || scheme.startsWith("ws");
        int port = url.getPort() > 0 ? url.getPort() : (tls ? 443 : 80);
        String host = url.getHost();
        String hostHeader = host + (url.getPort() > 0 && port != (tls ? 443 : 80) ? ":" + port : "");
        InetSocketAddress dial = options.dialAddress() != null
                ? new InetSocketAddress(options.dialAddress().getAddress(), options.dialAddress().getPort() == 0 ? port : options.dialAddress().getPort())
                : new InetSocketAddress(host, port);
        if (tls && options.sslContext() == null) {
            connected.completeExceptionally(new IllegalArgumentException("an https/wss URL needs DerpClientOptions.sslContext"));
            return;
        }
        Bootstrap b = new Bootstrap().group(group).channel(ClientEventLoops.channelClass(group))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls) {
                            boolean ipLiteral = host.matches("[0-9.]+") || host.contains(":");
                            SslHandler ssl = ipLiteral ? options.sslContext().newHandler(ch.alloc())
                                    : options.sslContext().newHandler(ch.alloc(), host, port);
                            p.addLast(PipelineNames.CLIENT_TLS, ssl);
                        }
                        if (ws) {
                            p.addLast(PipelineNames.CLIENT_HTTP_CODEC, new HttpClientCodec());
                            p.addLast(PipelineNames.CLIENT_HTTP_AGGREGATOR, new HttpObjectAggregator(8192));
                            URI wsUri = URI.create((tls ? "wss://" : "ws://") + hostHeader + "/derp");
                            p.addLast(PipelineNames.CLIENT_WEBSOCKET, new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                    .webSocketUri(wsUri).subprotocol("derp").version(WebSocketVersion.V13)
                                    .allowExtensions(false).maxFramePayloadLength(1 << 20)
                                    .handshakeTimeoutMillis(options.connectTimeout().toMillis()).build()));
                            p.addLast(PipelineNames.WEBSOCKET_BRIDGE, new WebSocketStreamBridge());
                        } else {
                            p.addLast(PipelineNames.UPGRADE_REQUEST, new RawUpgrade(hostHeader));
                        }
                        p.addLast(PipelineNames.DECODER, new FrameDecoder(FrameDecoder.Role.CLIENT));
                        p.addLast(PipelineNames.CLIENT_HANDLER, new Handler());
                    }
                });
        ChannelFuture cf = b.connect(dial);
        channel = cf.channel();
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                connected.completeExceptionally(f.cause());
            }
        });
        channel.eventLoop().schedule(() -> {
            if (!connected.isDone()) {
                connected.completeExceptionally(new TimeoutException("DERP connect to " + url + " did not complete in " + options.connectTimeout()));
                channel.close();
            }
        }, options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(f -> {
            // Closed before the TCP connect succeeded: the connect future fails too and carries the real cause
            // (refused, unreachable); which of the two listeners runs first is not fixed, so leave it to that one.
            if (!connected.isDone() && cf.isSuccess()) {
                // A failed TLS handshake closes the channel before its exception travels the pipeline: report that cause.
                SslHandler ssl = channel.pipeline().get(SslHandler.class);
                Throwable tlsFailure = ssl != null && ssl.handshakeFuture().isDone() ? ssl.handshakeFuture().cause() : null;
                connected.completeExceptionally(tlsFailure != null ? tlsFailure
                        : new java.io.IOException("connection closed during the DERP handshake"));
            }
            pendingPings.values().forEach(p -> p.completeExceptionally(new java.io.IOException("connection closed")));
        });
    }

    /** Writes the upgrade request when the connection is up; in fast-start mode ClientInfo goes in the same write. */
    private final class RawUpgrade extends io.netty.channel.ChannelInboundHandlerAdapter {
        private final String hostHeader;

        RawUpgrade(String hostHeader) {
            this.hostHeader = hostHeader;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            StringBuilder req = new StringBuilder("GET /derp HTTP/1.1\r\nHost: ").append(hostHeader)
                    .append("\r\nUser-Agent: jderper-client\r\nConnection: Upgrade\r\n");
            if (options.fastStart()) {
                req.append("Derp-Fast-Start: 1\r\n");
            }
            if (options.idealNode() != null && !options.idealNode().isEmpty()) {
                req.append("Ideal-Node: ").append(options.idealNode()).append("\r\n");
            }
            req.append("Upgrade: DERP\r\n\r\n");
            ByteBuf out = ctx.alloc().buffer().writeBytes(req.toString().getBytes(StandardCharsets.US_ASCII));
            if (options.fastStart()) {
                ByteBuf clientInfo = clientInfoFrame(options.knownServerKey());
                out.writeBytes(clientInfo);
                clientInfo.release();
                ctx.pipeline().remove(this);
            } else {
                ctx.pipeline().replace(this, PipelineNames.UPGRADE_RESPONSE, new UpgradeResponseDecoder());
            }
            ctx.writeAndFlush(out);
            ctx.fireChannelActive();
        }
    }

    private ByteBuf clientInfoFrame(NodePublicKey server) {
        ClientInfoPayload payload = new ClientInfoPayload(options.meshKey() == null ? null : options.meshKey().toHex(),
                FrameType.PROTOCOL_VERSION, options.canAckPings(), options.prober(), "");
        byte[] sealed = key.boxWith(server).seal(payload.toJson());
        return FrameWriter.encode(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, new Frame.ClientInfo(key.publicKey(), sealed));
    }

    /**
     * The frames the client itself answers before its listener sees them: Pong settles a {@link #ping}, Ping is
     * acknowledged when the client said it would. Everything else is the listener's alone.
     */
    private final class ControlFrames implements Frame.Visitor<Void> {
        @Override
        public Void pong(Frame.Pong pong) {
            CompletableFuture<Void> waiting = pendingPings.remove(pong.data());
            if (waiting != null) {
                waiting.complete(null);
            }
            return null;
        }

        @Override
        public Void ping(Frame.Ping ping) {
            if (options.canAckPings()) {
                channel.writeAndFlush(FrameWriter.pong(channel.alloc(), ping.data()));
            }
            return null;
        }

        @Override
        public Void serverKey(Frame.ServerKey f) {
            return null;
        }

        @Override
        public Void clientInfo(Frame.ClientInfo f) {
            return null;
        }

        @Override
        public Void serverInfo(Frame.ServerInfo f) {
            return null;
        }

        @Override
        public Void sendPacket(Frame.SendPacket f) {
            return null;
        }

        @Override
        public Void recvPacket(Frame.RecvPacket f) {
            return null;
        }

        @Override
        public Void forwardPacket(Frame.ForwardPacket f) {
            return null;
        }

        @Override
        public Void keepAlive(Frame.KeepAlive f) {
            return null;
        }

        @Override
        public Void notePreferred(Frame.NotePreferred f) {
            return null;
        }

        @Override
        public Void peerGone(Frame.PeerGone f) {
            return null;
        }

        @Override
        public Void peerPresent(Frame.PeerPresent f) {
            return null;
        }

        @Override
        public Void watchConns(Frame.WatchConns f) {
            return null;
        }

        @Override
        public Void closePeer(Frame.ClosePeer f) {
            return null;
        }

        @Override
        public Void health(Frame.Health f) {
            return null;
        }

        @Override
        public Void restarting(Frame.Restarting f) {
            return null;
        }

        @Override
        public Void ignored(Frame.Ignored f) {
            return null;
        }

        @Override
        public Void unknown(Frame.Unknown f) {
            return null;
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<Frame> {
        private final ControlFrames controlFrames = new ControlFrames();
        private boolean sawServerKey;

        Handler() {
            super(Frame.class, false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
            try {
                if (!sawServerKey) {
                    onServerKey(ctx, frame);
                } else if (!connected.isDone()) {
                    onServerInfo(ctx, frame);
                } else {
                    dispatch(frame);
                }
            } finally {
                if (frame instanceof Frame.PacketFrame p) {
                    p.release();
                }
            }
        }

        private void onServerKey(ChannelHandlerContext ctx, Frame frame) {
            if (!(frame instanceof Frame.ServerKey sk)) {
                fail(ctx, "expected ServerKey, got " + FrameType.name(frame.type()));
                return;
            }
            sawServerKey = true;
            NodePublicKey expected = options.knownServerKey();
            if (expected != null && !expected.equals(sk.key())) {
                fail(ctx, "server key " + sk.key() + " is not the expected " + expected);
                return;
            }
            serverKey = sk.key();
            if (!options.fastStart()) {
                ctx.writeAndFlush(clientInfoFrame(sk.key()));
            }
        }

        private void onServerInfo(ChannelHandlerContext ctx, Frame frame) {
            if (!(frame instanceof Frame.ServerInfo si)) {
                fail(ctx, "expected ServerInfo, got " + FrameType.name(frame.type()));
                return;
            }
            Optional<byte[]> plain = key.boxWith(serverKey).open(si.sealed());
            if (plain.isEmpty()) {
                fail(ctx, "ServerInfo does not open with the server's key");
                return;
            }
            connected.complete(DerpClient.this);
        }

        private void dispatch(Frame frame) {
            frame.accept(controlFrames);
            listener.onFrame(DerpClient.this, frame);
        }

        private void fail(ChannelHandlerContext ctx, String why) {
            connected.completeExceptionally(new java.io.IOException(why));
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            connected.completeExceptionally(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            listener.onClose(DerpClient.this, null);
        }
    }

    // ---------------------------------------------------------------- sending (any thread)

    /** Sends a packet to {@code dst}; takes ownership of {@code packet}. */
    public ChannelFuture send(NodePublicKey dst, ByteBuf packet) {
        return send(dst, packet, true);
    }

    public ChannelFuture send(NodePublicKey dst, ByteBuf packet, boolean flush) {
        if (packet.readableBytes() > FrameType.MAX_PACKET_SIZE) {
            int n = packet.readableBytes();
            packet.release();
            throw new IllegalArgumentException("packet of " + n + " bytes exceeds " + FrameType.MAX_PACKET_SIZE);
        }
        ByteBuf header = FrameWriter.sendPacketHeader(channel.alloc(), dst, packet.readableBytes());
        ByteBuf frame = channel.alloc().compositeDirectBuffer(2).addComponents(true, header, packet);
        return flush ? channel.writeAndFlush(frame) : channel.write(frame);
    }

    public ChannelFuture send(NodePublicKey dst, byte[] packet) {
        return send(dst, Unpooled.wrappedBuffer(packet));
    }

    public void flush() {
        channel.flush();
    }

    /** Mesh only: a ForwardPacket on behalf of {@code src}. Takes ownership of {@code packet}. */
    public ChannelFuture forward(NodePublicKey src, NodePublicKey dst, ByteBuf packet) {
        ByteBuf header = channel.alloc().buffer(FrameType.HEADER_LENGTH + 2 * FrameType.KEY_LENGTH);
        header.writeByte(FrameType.FORWARD_PACKET).writeInt(2 * FrameType.KEY_LENGTH + packet.readableBytes());
        src.writeTo(header);
        dst.writeTo(header);
        return channel.writeAndFlush(channel.alloc().compositeDirectBuffer(2).addComponents(true, header, packet));
    }

    /** Sends a Ping with random data; completes when the matching Pong arrives. */
    public CompletableFuture<Void> ping() {
        long data = ThreadLocalRandom.current().nextLong();
        CompletableFuture<Void> f = new CompletableFuture<>();
        pendingPings.put(data, f);
        writeFrame(new Frame.Ping(data));
        return f;
    }

    public ChannelFuture notePreferred(boolean preferred) {
        return writeFrame(new Frame.NotePreferred(preferred));
    }

    public ChannelFuture watchConns() {
        return writeFrame(Frame.WatchConns.INSTANCE);
    }

    public ChannelFuture closePeer(NodePublicKey peer) {
        return writeFrame(new Frame.ClosePeer(peer));
    }

    public ChannelFuture writeFrame(Frame frame) {
        return channel.writeAndFlush(FrameWriter.encode(channel.alloc(), frame));
    }

    /** Writes arbitrary bytes (tests of malformed input). Takes ownership. */
    public ChannelFuture writeRaw(ByteBuf bytes) {
        return channel.writeAndFlush(bytes);
    }

    public ChannelFuture close() {
        return channel.close();
    }

    @Override
    public String toString() {
        return "DerpClient" + key.publicKey().shortString();
    }

    static void release(Object msg) {
        ReferenceCountUtil.release(msg);
    }
}
