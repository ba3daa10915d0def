package io.jderper.http;

import io.jderper.pipeline.PipelineNames;
import io.jderper.protocol.FrameType;
import io.jderper.server.ClientErrors;
import io.jderper.server.ConnectionInfo;
import io.jderper.server.DerpServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * DERP over WebSocket (subprotocol {@code derp}): the DERP byte stream travels in binary messages whose boundaries
 * mean nothing, so inbound message payloads feed the same frame decoder as a raw connection, and each outbound write
 * becomes one binary message.
 */
final class WebSocketDerpUpgrade {
    static final String SUBPROTOCOL = "derp";
    /** One maximal DERP frame fits in a message; the original accepts 32 KiB. */
    static final int MAX_MESSAGE = FrameType.HEADER_LENGTH + 2 * FrameType.KEY_LENGTH + FrameType.MAX_PACKET_SIZE;

    private final DerpServer server;

    WebSocketDerpUpgrade(DerpServer server) {
        this.server = server;
    }

    void upgrade(ChannelHandlerContext ctx, HttpRequest request, ConnectionInfo info) {
        Optional<WebSocketRequestCheck.Refusal> refusal = WebSocketRequestCheck.check(request);
        if (refusal.isPresent()) {
            refuse(ctx, refusal.get());
            return;
        }
        FullHttpRequest full = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                Unpooled.EMPTY_BUFFER, request.headers(), io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE);
        WebSocketServerHandshakerFactory factory = new WebSocketServerHandshakerFactory(
                "ws://" + request.headers().get("Host", "localhost") + "/derp", SUBPROTOCOL,
                WebSocketDecoderConfig.newBuilder().allowExtensions(false).maxFramePayloadLength(MAX_MESSAGE).build());
        WebSocketServerHandshaker handshaker = factory.newHandshaker(full);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            full.release();
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        DerpUpgradeHandler.removeHttpHandlers(p);
        ChannelFuture handshake;
        try {
            handshake = handshaker.handshake(ctx.channel(), full);
        } catch (WebSocketHandshakeException e) {
            // The request passed the checks above, so this is Netty being stricter still; the HTTP layer is gone.
            full.release();
            server.clientErrors().report(ClientErrors.Kind.WEBSOCKET_HANDSHAKE, ctx.channel().remoteAddress(), e.getMessage());
            ctx.close();
            return;
        }
        handshake.addListener((ChannelFutureListener) f -> {
            full.release();
            if (!f.isSuccess()) {
                ctx.close();
                return;
            }
            if (!SUBPROTOCOL.equals(handshaker.selectedSubprotocol())) {
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION.code(),
                        "client must speak the derp subprotocol")).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            p.addAfter(PipelineNames.UPGRADE, PipelineNames.WEBSOCKET_BRIDGE, new MessageBridge());
            server.install(p, PipelineNames.WEBSOCKET_BRIDGE, info);
        });
    }

    /**
     * Answers a refused upgrade as the original does ({@code http.Error}: plain text, the message and a newline), then
     * closes: the HTTP layer cannot take the connection back once the upgrade was claimed.
     */
    private void refuse(ChannelHandlerContext ctx, WebSocketRequestCheck.Refusal refusal) {
        server.clientErrors().report(ClientErrors.Kind.WEBSOCKET_HANDSHAKE, ctx.channel().remoteAddress(), refusal.message());
        byte[] body = (refusal.message() + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, refusal.status(),
                Unpooled.wrappedBuffer(body));
        for (String[] h : refusal.headers()) {
            response.headers().set(h[0], h[1]);
        }
        response.headers()
                .set("Content-Type", "text/plain; charset=utf-8")
                .set("X-Content-Type-Options", "nosniff")
                .set("Content-Length", body.length)
                .set("Connection", "close");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** Binary messages in, DERP bytes out (and the reverse for writes); control frames are answered here. */
    static final class MessageBridge extends ChannelDuplexHandler {

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg instanceof ByteBuf b ? new BinaryWebSocketFrame(b) : msg, promise);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof BinaryWebSocketFrame bin) {
                ctx.fireChannelRead(bin.content());
            } else if (msg instanceof TextWebSocketFrame text) {
                text.release();
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE.code(),
                        "binary messages only")).addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            } else if (msg instanceof CloseWebSocketFrame close) {
                close.release();
                ctx.close();
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE.code(), ""))
                        .addListener(f -> ctx.close(promise));
            } else {
                ctx.close(promise);
            }
        }
    }
}
