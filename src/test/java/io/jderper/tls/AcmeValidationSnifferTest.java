package io.jderper.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The ClientHello parse behind OpenSSL's TLS-ALPN-01 support, on ClientHellos the JDK's own client writes. */
class AcmeValidationSnifferTest {

    /** The ClientHello body (after the record and handshake headers) of a JDK client's first flight. */
    private static ByteBuf clientHello(String sni, String... alpn) throws Exception {
        SSLEngine client = SSLContext.getDefault().createSSLEngine("ignored", 443);
        client.setUseClientMode(true);
        SSLParameters p = client.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(alpn);
        client.setSSLParameters(p);
        ByteBuffer out = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        assertThat(out.get(0)).as("handshake record").isEqualTo((byte) 22);
        assertThat(out.get(5)).as("ClientHello").isEqualTo((byte) 1);
        out.position(9);
        return Unpooled.wrappedBuffer(out.slice());
    }

    @Test
    void findsSniAndTheAcmeProtocolAmongOthers() throws Exception {
        ByteBuf hello = clientHello("derp.test", "h2", "acme-tls/1");
        try {
            assertThat(AcmeValidationSniffer.parse(hello)).isEqualTo(new AcmeValidationSniffer.Offer("derp.test", true));
        } finally {
            hello.release();
        }
    }

    @Test
    void ordinaryClientsAreNoValidation() throws Exception {
        for (String[] alpn : new String[][] {{}, {"http/1.1"}, {"h2", "http/1.1"}, {"acme-tls/2"}}) {
            ByteBuf hello = clientHello(null, alpn);
            try {
                assertThat(AcmeValidationSniffer.parse(hello)).isEqualTo(new AcmeValidationSniffer.Offer(null, false));
            } finally {
                hello.release();
            }
        }
    }

    @Test
    void truncatedHellosDoNotParse() throws Exception {
        ByteBuf hello = clientHello("derp.test", "acme-tls/1");
        try {
            for (int cut : new int[] {10, 40, hello.readableBytes() - 3}) {
                ByteBuf part = hello.slice(0, cut);
                var offer = AcmeValidationSniffer.parse(part);
                assertThat(offer == null || !offer.acmeTlsAlpn()).as("cut at " + cut).isTrue();
            }
        } finally {
            hello.release();
        }
    }
}
