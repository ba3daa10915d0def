package io.jderper.pipeline;

/**
 * Every Netty handler name jderper puts into a pipeline, in one place, with the order they end up in. The package
 * depends on nothing else in jderper, so the server, the HTTP layer, admission, the client, the mesh link, TLS and the
 * CONNECT proxy can all import it. Names in {@code reactor.left.*} / {@code reactor.right.*} are Reactor Netty's
 * ({@code reactor.netty.NettyPipeline}); {@code wsencoder}/{@code wsdecoder} are Netty's WebSocket handshaker's.
 *
 * <pre>
 * Main listener, plain HTTP, right after accept (added by doOnChannelInit, each directly behind the codec, so the
 * one added last sits nearest to it; ace.connect, with -ace, directly behind derp.upgrade):
 *
 *   head ─ reactor.left.httpCodec ─ derp.response-headers ─ derp.front-guard ─ derp.upgrade ─ [ace.connect]
 *        ─ reactor.left.httpTrafficHandler ─ … ─ reactor.right.reactiveBridge (WebFlux) ─ tail
 *
 * Main listener, TLS: the same, behind Reactor's TLS handler (and, with OpenSSL while a tls-alpn-01 challenge is
 * pending, the ClientHello sniffer in front of it):
 *
 *   head ─ [derper.acmeValidationSniffer] ─ reactor.left.sslHandler ─ [reactor.left.sslReader]
 *        ─ reactor.left.httpCodec ─ … as above
 *
 * After a raw DERP upgrade (GET /derp, Upgrade: DERP; HTTP handlers and the codec removed, derp.response-headers
 * gone with the codec, derp.front-guard gone once the session registers):
 *
 *   head ─ [TLS] ─ derp.upgrade (pass-through) ─ derp.decoder ─ derp.handler ─ [ace.connect] ─ tail
 *
 * After a WebSocket upgrade (Sec-WebSocket-Protocol: derp; Netty's handshaker puts its WebSocket codec in front of
 * the HTTP codec, then removes that; derp.response-headers and derp.front-guard leave as above):
 *
 *   head ─ [TLS] ─ wsencoder ─ wsdecoder ─ derp.upgrade ─ derp.websocket ─ derp.decoder ─ derp.handler
 *        ─ [ace.connect] ─ tail
 *
 * After CONNECT (-ace; HTTP handlers removed):
 *
 *   head ─ [TLS] ─ [ace.idle] ─ ace.front ⇄ (dialled channel: head ─ ace.back ─ tail)
 *
 * DerpClient (tests, load tool, mesh link), raw upgrade; derp.upgrade-request becomes derp.upgrade-response until
 * the 101 head is read (fast start: it just removes itself):
 *
 *   head ─ [ssl] ─ derp.upgrade-request ─ derp.decoder ─ derp.client ─ tail
 *
 * DerpClient over WebSocket (as set up; once the handshake is done Netty puts its WebSocket codec in place of
 * derp.http-codec and derp.http-aggregator):
 *
 *   head ─ [ssl] ─ derp.http-codec ─ derp.http-aggregator ─ derp.websocket-handshake ─ derp.websocket
 *        ─ derp.decoder ─ derp.client ─ tail
 *
 * Mesh link: a DerpClient pipeline once the handshake is done, plus
 *
 *   head ─ mesh.idle ─ [ssl] ─ … ─ derp.decoder ─ derp.client ─ mesh.guard ─ mesh.flush ─ tail
 * </pre>
 */
public final class PipelineNames {
    // ---------------------------------------------------------------- main listener (server side)

    /** tls: peeks at the ClientHello for an ACME tls-alpn-01 offer (OpenSSL only), then removes itself. */
    public static final String ACME_VALIDATION_SNIFFER = "derper.acmeValidationSniffer";
    /** http: writes response heads the way the original's Go server does; leaves with the codec. */
    public static final String RESPONSE_HEADERS = "derp.response-headers";
    /** admission: request and set-up deadlines, set-up slots, malformed requests; leaves once the session registers. */
    public static final String FRONT_GUARD = "derp.front-guard";
    /** http: takes {@code /derp} upgrades away from WebFlux; a pass-through afterwards. */
    public static final String UPGRADE = "derp.upgrade";
    /** WebSocket binary messages ⇄ the DERP byte stream (server and client). */
    public static final String WEBSOCKET_BRIDGE = "derp.websocket";
    /** protocol: the frame decoder (server and client). */
    public static final String DECODER = "derp.decoder";
    /** server: handshake, then dispatch of one DERP connection's frames. */
    public static final String CONNECTION_HANDLER = "derp.handler";

    // ---------------------------------------------------------------- CONNECT proxy (-ace)

    /** ace: claims CONNECT requests, behind {@link #UPGRADE}. */
    public static final String ACE_CONNECT = "ace.connect";
    /** ace: the client side of a tunnel. */
    public static final String ACE_FRONT = "ace.front";
    /** ace: the target side of a tunnel. */
    public static final String ACE_BACK = "ace.back";
    /** ace: the tunnel's idle timeout. */
    public static final String ACE_IDLE = "ace.idle";

    // ---------------------------------------------------------------- DerpClient

    /** client: TLS to the server. */
    public static final String CLIENT_TLS = "ssl";
    /** client: writes the raw upgrade request once connected. */
    public static final String UPGRADE_REQUEST = "derp.upgrade-request";
    /** client: reads the 101 response head, then removes itself. */
    public static final String UPGRADE_RESPONSE = "derp.upgrade-response";
    /** client over WebSocket: HTTP codec for the handshake. */
    public static final String CLIENT_HTTP_CODEC = "derp.http-codec";
    /** client over WebSocket: aggregates the handshake response. */
    public static final String CLIENT_HTTP_AGGREGATOR = "derp.http-aggregator";
    /** client over WebSocket: Netty's client handshake and framing. */
    public static final String CLIENT_WEBSOCKET = "derp.websocket-handshake";
    /** client: handshake, then frames to the listener. */
    public static final String CLIENT_HANDLER = "derp.client";

    // ---------------------------------------------------------------- mesh link (on a DerpClient pipeline)

    /** mesh: read-idle detection, first in the pipeline. */
    public static final String MESH_IDLE = "mesh.idle";
    /** mesh: ends the link when nothing was read for too long or its writes stall. */
    public static final String MESH_GUARD = "mesh.guard";
    /** mesh: flush consolidation for forwarded packets. */
    public static final String MESH_FLUSH = "mesh.flush";

    private PipelineNames() {
    }
}
