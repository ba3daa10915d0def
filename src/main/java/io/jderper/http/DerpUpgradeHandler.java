package io.jderper.http;

import io.jderper.pipeline.PipelineNames;
import io.jderper.server.ConnectionInfo;
import io.jderper.server.DerpServer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import reactor.netty.NettyPipeline;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sits directly behind Reactor Netty's HTTP codec and takes DERP upgrades away from WebFlux. On {@code GET /derp}
 * with {@code Upgrade: DERP} it writes the 101 response as raw bytes (none in fast-start mode), installs the DERP
 * decoder, and removes the HTTP handlers synchronously: the codec hands the bytes it has buffered beyond the request
 * head — a fast-start client's pipelined ClientInfo — straight to the DERP decoder. Every other request passes
 * through untouched. After an upgrade this handler stays as a pass-through that swallows HTTP leftovers.
 */
public final class DerpUpgradeHandler extends ChannelInboundHandlerAdapter {
    /** Reactor Netty's HTTP-level handlers; transport handlers (TLS, logging, byte metrics) stay. */
    private static final List<String> HTTP_HANDLERS = List.of(
            NettyPipeline.HttpTrafficHandler, NettyPipeline.HttpAggregator, NettyPipeline.CompressionHandler,
            NettyPipeline.HttpDecompressor, NettyPipeline.HttpMetricsHandler, NettyPipeline.AccessLogHandler,
            NettyPipeline.IdleTimeoutHandler, NettyPipeline.ReadTimeoutHandler, NettyPipeline.ResponseTimeoutHandler,
            NettyPipeline.OnChannelReadIdle, NettyPipeline.OnChannelWriteIdle, NettyPipeline.ChunkedWriter,
            NettyPipeline.H2CUpgradeHandler, NettyPipeline.NonSslRedirectDetector, NettyPipeline.NonSslRedirectHandler,
            NettyPipeline.WsCompressionHandler, NettyPipeline.WsFrameAggregator, NettyPipeline.UnvoidHandler,
            NettyPipeline.ErrorLogHandler, NettyPipeline.ReactiveBridge);

    private final DerpServer server;
    private final WebSocketDerpUpgrade webSocket;
    private boolean upgraded;
    private boolean holdingLeftover;
    private ByteBuf leftover;

    public DerpUpgradeHandler(DerpServer server) {
        this.server = server;
        this.webSocket = new WebSocketDerpUpgrade(server);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (holdingLeftover && msg instanceof ByteBuf bytes) {
            leftover = leftover == null ? bytes : io.netty.buffer.Unpooled.wrappedBuffer(leftover, bytes);
            return;
        }
        if (upgraded) {
            // HTTP leftovers (the request's empty last content) are dropped; bytes and WebSocket frames flow on.
            if (msg instanceof HttpObject) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
            return;
        }
        if (msg instanceof HttpRequest request && server.acceptingConnections()) {
            DerpUpgradeKind kind = DerpUpgradeKind.classify(request);
            if (kind == DerpUpgradeKind.WEBSOCKET) {
                upgraded = true;
                ReferenceCountUtil.release(msg);
                webSocket.upgrade(ctx, request, connectionInfo(ctx, request, true));
                return;
            }
            if (kind == DerpUpgradeKind.PLAIN) {
                upgraded = true;
                ReferenceCountUtil.release(msg);
                upgradeRaw(ctx, request);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void upgradeRaw(ChannelHandlerContext ctx, HttpRequest request) {
        ChannelPipeline p = ctx.pipeline();
        // Removing the codec hands us the bytes it buffered beyond the request head (fast start's ClientInfo);
        // hold them until the DERP decoder is in place, and write nothing through the codec's encoder.
        holdingLeftover = true;
        removeHttpHandlers(p);
        if (p.get(NettyPipeline.HttpCodec) != null) {
            p.remove(NettyPipeline.HttpCodec);
        }
        holdingLeftover = false;
        if (!"1".equals(request.headers().get("Derp-Fast-Start"))) {
            String head = "HTTP/1.1 101 Switching Protocols\r\n"
                    + "Upgrade: DERP\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Derp-Version: 2\r\n"
                    + "Derp-Public-Key: " + server.identity().publicKey().toHex() + "\r\n\r\n";
            ctx.write(ctx.alloc().buffer(head.length()).writeBytes(head.getBytes(StandardCharsets.US_ASCII)), ctx.voidPromise());
        }
        server.install(p, PipelineNames.UPGRADE, connectionInfo(ctx, request, false));
        if (leftover != null) {
            ByteBuf bytes = leftover;
            leftover = null;
            ctx.fireChannelRead(bytes);
            ctx.fireChannelReadComplete();
        }
    }

    static void removeHttpHandlers(ChannelPipeline p) {
        for (String name : HTTP_HANDLERS) {
            if (p.get(name) != null) {
                p.remove(name);
            }
        }
    }

    private static ConnectionInfo connectionInfo(ChannelHandlerContext ctx, HttpRequest request, boolean websocket) {
        String ideal = websocket ? "" : request.headers().get("Ideal-Node", "");
        InetSocketAddress remote = ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a : null;
        return new ConnectionInfo(remote, !ideal.isEmpty(), websocket);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!holdingLeftover) {
            ctx.fireChannelReadComplete();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (leftover != null) {
            leftover.release();
            leftover = null;
        }
    }
}
