package io.jderper.ace;

import io.jderper.config.AceProperties;
import io.jderper.http.MainListenerHook;
import io.jderper.pipeline.PipelineNames;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import reactor.netty.NettyPipeline;

/**
 * Watches the main listener's requests for {@code CONNECT}. One stateless instance serves every connection: it sits
 * behind the DERP upgrade handler, passes every other request on, and hands a CONNECT to a new
 * {@link ConnectTunnel}, which ends the connection's HTTP life (answering or refusing it is up to the tunnel).
 * A CONNECT is taken whether or not the proxy is enabled, so that it gets the original's refusal rather than
 * whatever the web layer would make of it.
 */
@ChannelHandler.Sharable
final class ConnectGate extends ChannelInboundHandlerAdapter implements MainListenerHook {
    static final String NAME = PipelineNames.ACE_CONNECT;

    private final AceProperties properties;
    private final ConnectPolicy policy;
    private final TargetResolver resolver;
    private final AceMetrics metrics;
    private final OpenTunnels open;

    ConnectGate(AceProperties properties, TargetResolver resolver, AceMetrics metrics, OpenTunnels open) {
        this.properties = properties;
        this.policy = new ConnectPolicy(properties);
        this.resolver = resolver;
        this.metrics = metrics;
        this.open = open;
    }

    @Override
    public void channelInit(Channel channel) {
        if (!channel.isOpen()) {
            return;
        }
        var p = channel.pipeline();
        if (p.get(PipelineNames.UPGRADE) != null) {
            p.addAfter(PipelineNames.UPGRADE, NAME, this);
        } else if (p.get(NettyPipeline.HttpCodec) != null) {
            p.addAfter(NettyPipeline.HttpCodec, NAME, this);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request && HttpMethod.CONNECT.equals(request.method())) {
            String target = request.uri();
            ReferenceCountUtil.release(msg);
            new ConnectTunnel(properties, policy, resolver, metrics, open).start(ctx, target);
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
