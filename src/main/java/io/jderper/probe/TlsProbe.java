package io.jderper.probe;

import io.jderper.client.ClientEventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The TLS probe of one node: a handshake with the node's DERP port, the chain checked as clients check it, no
 * certificate (the meta certificate and self-signed ones aside) within 7 days of expiry or not yet valid, and the leaf
 * not revoked by its CRL. As the original, a Let's Encrypt leaf issued after CRLs became mandatory must name one.
 */
final class TlsProbe {
    static final String CLASS = "tls";
    static final Duration EXPIRES_SOON = Duration.ofDays(7);
    /** Let's Encrypt certificates carry a CRL distribution point from this instant on. */
    static final Instant LETS_ENCRYPT_CRL_START = Instant.ofEpochSecond(1746576000L);
    private static final int MAX_CRL_BYTES = 10 << 20;

    private final DerpMap.Node node;
    private final ProbeTrust trust;
    private final HttpClient http;
    /** Earliest NotAfter seen in the last good handshake (Unix seconds), 0 before one. */
    private final AtomicLong earliestExpiry = new AtomicLong();

    private TlsProbe(DerpMap.Node node, ProbeTrust trust, HttpClient http) {
        this.node = node;
        this.trust = trust;
        this.http = http;
    }

    static ProbeClass probeClass(DerpMap.Node node, ProbeTrust trust, HttpClient http) {
        TlsProbe p = new TlsProbe(node, trust, http);
        return new ProbeClass(CLASS, Map.of(), p::start, p::metrics);
    }

    private void metrics(ProbeClass.PromSink out, Map<String, String> labels) {
        long expiry = earliestExpiry.get();
        if (expiry != 0) {
            out.gauge("tls_earliest_cert_expiry_secs",
                    "Earliest NotAfter in the certificate chain of the last handshake (seconds since epoch)", labels, expiry);
        }
    }

    private CompletionStage<?> start(ProbeRun run) {
        String hostPort = hostPort(node.hostName(), node.effectiveDerpPort());
        CompletableFuture<X509Certificate[]> handshake = new CompletableFuture<>();
        // A failed connect also fails the TLS handshake ("removed before handshake completed"); the connect error says more.
        // The flag is set from channelActive, on the event loop and before any handshake byte can arrive, so a handshake
        // failure is never mistaken for a connect failure however late the caller's connect listener is added.
        AtomicBoolean connected = new AtomicBoolean();
        Bootstrap b = new Bootstrap().group(ClientEventLoops.shared()).channel(ClientEventLoops.channelClass(ClientEventLoops.shared()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE, run.remaining().toMillis())))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler ssl = trust.clientContext(node).newHandler(ch.alloc(), node.hostName(), node.effectiveDerpPort());
                        ssl.setHandshakeTimeoutMillis(0);
                        ch.pipeline().addLast(ssl);
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                connected.set(true);
                                ctx.fireChannelActive();
                            }

                            @Override
                            public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                                // Reported through the handshake future; nothing to log twice.
                                ctx.close();
                            }
                        });
                        ssl.handshakeFuture().addListener(f -> {
                            if (f.isSuccess()) {
                                try {
                                    handshake.complete(Arrays.stream(ssl.engine().getSession().getPeerCertificates())
                                            .map(X509Certificate.class::cast).toArray(X509Certificate[]::new));
                                } catch (Exception e) {
                                    handshake.completeExceptionally(e);
                                }
                            } else if (connected.get()) {
                                handshake.completeExceptionally(f.cause());
                            }
                            ch.close();
                        });
                    }
                });
        InetSocketAddress target = new InetSocketAddress(node.hostName(), node.effectiveDerpPort());
        if (target.isUnresolved()) {
            return CompletableFuture.failedFuture(new ProbeFailure("connecting to \"" + hostPort + "\": lookup "
                    + node.hostName() + ": no such host"));
        }
        ChannelFuture connect = b.connect(target);
        Channel channel = connect.channel();
        run.onEnd(channel::close);
        run.onEnd(() -> handshake.completeExceptionally(new ProbeFailure("timeout")));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                handshake.completeExceptionally(f.cause());
            }
        });
        return handshake
                .exceptionally(e -> {
                    throw new ProbeFailure("connecting to \"" + hostPort + "\": " + Probe.message(e));
                })
                .thenCompose(chain -> validate(chain, run));
    }

    static String hostPort(String host, int port) {
        return (NetUtil.isValidIpV6Address(host) ? "[" + host + "]" : host) + ":" + port;
    }

    private CompletionStage<Void> validate(X509Certificate[] presented, ProbeRun run) {
        List<String> errors = new ArrayList<>();
        Instant now = Instant.now();
        Instant latestAllowed = now.plus(EXPIRES_SOON);
        List<X509Certificate> chain = ProbeTrust.withoutMetaCertificates(presented);
        if (chain.isEmpty()) {
            return CompletableFuture.failedFuture(new ProbeFailure("no certificate presented"));
        }
        X509Certificate leaf = chain.get(0);
        byte[] leafAuthority = authorityKeyId(leaf);
        X509Certificate issuer = null;
        Instant earliest = null;
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate cert = chain.get(i);
            Instant notAfter = cert.getNotAfter().toInstant();
            if (earliest == null || notAfter.isBefore(earliest)) {
                earliest = notAfter;
            }
            byte[] subjectKeyId = subjectKeyId(cert);
            if (i > 0 && Arrays.equals(leafAuthority, subjectKeyId)) {
                issuer = cert;
            }
            // Self-signed certificates (key IDs equal, including both absent) are not checked, as by the original.
            if (Arrays.equals(subjectKeyId, authorityKeyId(cert))) {
                continue;
            }
            if (now.isBefore(cert.getNotBefore().toInstant())) {
                errors.add("one of the certs has NotBefore in the future (" + cert.getNotBefore().toInstant() + "): "
                        + cert.getSubjectX500Principal().getName());
            }
            if (latestAllowed.isAfter(notAfter)) {
                errors.add("one of the certs expires in " + human(Duration.between(now, notAfter)) + ": "
                        + cert.getSubjectX500Principal().getName());
            }
        }
        earliestExpiry.set(earliest.getEpochSecond());
        run.detail("certificate expires in " + Duration.between(now, earliest).toDays() + " days (" + earliest + ")");

        List<String> crls = crlDistributionPoints(leaf);
        if (crls.isEmpty()) {
            if (organizations(leaf).contains("Let's Encrypt")
                    && !leaf.getNotBefore().toInstant().isBefore(LETS_ENCRYPT_CRL_START)) {
                errors.add("no CRL server presented in leaf cert for " + leaf.getSubjectX500Principal().getName());
            }
            return finish(errors);
        }
        X509Certificate crlIssuer = issuer;
        return checkCrl(crls.get(0), leaf, crlIssuer, run).handle((v, e) -> {
            if (e != null) {
                errors.add("CRL verification failed for " + leaf.getSubjectX500Principal().getName() + ": " + Probe.message(e));
            }
            return null;
        }).thenCompose(v -> finish(errors));
    }

    private static CompletionStage<Void> finish(List<String> errors) {
        if (errors.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.failedFuture(new ProbeFailure(String.join("\n", errors)));
    }

    private CompletionStage<Void> checkCrl(String url, X509Certificate leaf, X509Certificate issuer, ProbeRun run) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(url)).timeout(run.remaining().plusMillis(1)).GET().build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new ProbeFailure("could not create CRL GET request: " + e.getMessage()));
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream()).thenApply(response -> {
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new ProbeFailure("crl: non-200 status code from CRL server: " + response.statusCode());
                }
                byte[] bytes = body.readNBytes(MAX_CRL_BYTES);
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes));
                if (issuer == null) {
                    throw new ProbeFailure("could not verify CRL signature: issuer certificate not in the chain");
                }
                try {
                    crl.verify(issuer.getPublicKey());
                } catch (Exception e) {
                    throw new ProbeFailure("could not verify CRL signature: " + e.getMessage());
                }
                X509CRLEntry revoked = crl.getRevokedCertificate(leaf.getSerialNumber());
                if (revoked != null) {
                    throw new ProbeFailure("cert for " + leaf.getSubjectX500Principal().getName() + " has been revoked on "
                            + revoked.getRevocationDate().toInstant() + ", reason: " + revoked.getRevocationReason());
                }
                return null;
            } catch (IOException | java.security.cert.CRLException | java.security.cert.CertificateException e) {
                throw new ProbeFailure("could not parse CRL: " + e.getMessage());
            }
        });
    }

    static String human(Duration d) {
        long s = d.getSeconds();
        String sign = s < 0 ? "-" : "";
        s = Math.abs(s);
        return sign + (s / 3600) + "h" + (s % 3600 / 60) + "m" + (s % 60) + "s";
    }

    static byte[] subjectKeyId(X509Certificate c) {
        byte[] ext = c.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ext == null) {
            return null;
        }
        return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }

    static byte[] authorityKeyId(X509Certificate c) {
        byte[] ext = c.getExtensionValue(Extension.authorityKeyIdentifier.getId());
        if (ext == null) {
            return null;
        }
        return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }

    static List<String> crlDistributionPoints(X509Certificate c) {
        byte[] ext = c.getExtensionValue(Extension.cRLDistributionPoints.getId());
        List<String> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        CRLDistPoint points = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
        for (DistributionPoint p : points.getDistributionPoints()) {
            DistributionPointName name = p.getDistributionPoint();
            if (name == null || name.getType() != DistributionPointName.FULL_NAME) {
                continue;
            }
            for (GeneralName g : GeneralNames.getInstance(name.getName()).getNames()) {
                if (g.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    out.add(g.getName().toString());
                }
            }
        }
        return out;
    }

    static List<String> organizations(X509Certificate c) {
        X500Name issuer = X500Name.getInstance(c.getIssuerX500Principal().getEncoded());
        List<String> out = new ArrayList<>();
        for (RDN rdn : issuer.getRDNs(BCStyle.O)) {
            out.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
        }
        return out;
    }
}
