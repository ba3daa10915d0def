package io.jderper.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslClientHelloHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;

import java.nio.charset.StandardCharsets;

/**
 * Reads the ClientHello ahead of an OpenSSL {@link SslHandler} and marks the connection as an ACME TLS-ALPN-01
 * validation when it offers {@code acme-tls/1} for a name with a pending challenge. OpenSSL asks the key manager
 * for a certificate before it negotiates ALPN, so without this mark the validator would get the ordinary chain.
 * Installed only while a challenge is pending; it removes itself after the first ClientHello.
 */
final class AcmeValidationSniffer extends SslClientHelloHandler<Boolean> {
    private static final int EXT_SERVER_NAME = 0;
    private static final int EXT_ALPN = 16;
    private static final byte[] ACME_TLS_ALPN = AcmeChallenges.ACME_TLS_ALPN.getBytes(StandardCharsets.US_ASCII);

    private final AcmeChallenges challenges;
    private final EngineAddresses engines;

    AcmeValidationSniffer(AcmeChallenges challenges, EngineAddresses engines) {
        this.challenges = challenges;
        this.engines = engines;
    }

    @Override
    protected Future<Boolean> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) {
        boolean validation = false;
        if (clientHello != null) {
            Offer offer = parse(clientHello);
            validation = offer != null && offer.acmeTlsAlpn() && challenges.tlsAlpnCertificate(offer.serverName()) != null;
        }
        return ctx.executor().newSucceededFuture(validation);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, Future<Boolean> future) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl != null && Boolean.TRUE.equals(future.getNow())) {
            engines.markAcmeValidation(ssl.engine());
        }
        // Buffered ClientHello bytes go on to the SslHandler as this handler leaves.
        ctx.pipeline().remove(this);
    }

    /** The SNI host name (or null) and whether ALPN offered acme-tls/1. */
    record Offer(String serverName, boolean acmeTlsAlpn) {
    }

    /**
     * @param body the ClientHello handshake body (after type and length), not consumed
     * @return null when it does not parse; the SslHandler then reports the problem
     */
    static Offer parse(ByteBuf body) {
        int i = body.readerIndex();
        int end = body.writerIndex();
        i += 2 + 32; // legacy_version, random
        if (i + 1 > end) {
            return null;
        }
        i += 1 + body.getUnsignedByte(i); // legacy_session_id
        if (i + 2 > end) {
            return null;
        }
        i += 2 + body.getUnsignedShort(i); // cipher_suites
        if (i + 1 > end) {
            return null;
        }
        i += 1 + body.getUnsignedByte(i); // legacy_compression_methods
        if (i + 2 > end) {
            return new Offer(null, false); // no extensions at all
        }
        int extEnd = i + 2 + body.getUnsignedShort(i);
        i += 2;
        if (extEnd > end) {
            return null;
        }
        String serverName = null;
        boolean acme = false;
        while (i + 4 <= extEnd) {
            int type = body.getUnsignedShort(i);
            int len = body.getUnsignedShort(i + 2);
            int data = i + 4;
            if (data + len > extEnd) {
                return null;
            }
            if (type == EXT_SERVER_NAME) {
                serverName = hostName(body, data, data + len);
            } else if (type == EXT_ALPN) {
                acme = offersAcme(body, data, data + len);
            }
            i = data + len;
        }
        return new Offer(serverName, acme);
    }

    private static String hostName(ByteBuf b, int i, int end) {
        if (i + 2 > end) {
            return null;
        }
        int listEnd = Math.min(end, i + 2 + b.getUnsignedShort(i));
        i += 2;
        while (i + 3 <= listEnd) {
            int nameType = b.getUnsignedByte(i);
            int len = b.getUnsignedShort(i + 1);
            i += 3;
            if (i + len > listEnd) {
                return null;
            }
            if (nameType == 0) {
                return b.toString(i, len, StandardCharsets.US_ASCII);
            }
            i += len;
        }
        return null;
    }

    private static boolean offersAcme(ByteBuf b, int i, int end) {
        if (i + 2 > end) {
            return false;
        }
        int listEnd = Math.min(end, i + 2 + b.getUnsignedShort(i));
        i += 2;
        while (i + 1 <= listEnd) {
            int len = b.getUnsignedByte(i);
            i += 1;
            if (i + len > listEnd) {
                return false;
            }
            if (len == ACME_TLS_ALPN.length) {
                boolean same = true;
                for (int k = 0; k < len && same; k++) {
                    same = b.getByte(i + k) == ACME_TLS_ALPN[k];
                }
                if (same) {
                    return true;
                }
            }
            i += len;
        }
        return false;
    }
}
