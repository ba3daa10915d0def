package io.jderper.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Lookups through Netty's non-blocking DNS resolver on its own one-thread loop: hosts file, then the
 * servers and search domains of /etc/resolv.conf. No thread ever blocks on the network.
 */
final class NettyBootstrapDnsLookup implements BootstrapDnsLookup {

    private final EventLoopGroup group;
    private final DnsNameResolver resolver;

    NettyBootstrapDnsLookup() {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bootstrap-dns", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        resolver = new DnsNameResolverBuilder(group.next())
                .datagramChannelType(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                // Both families, as the original asks for "ip".
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                // Every refresh asks afresh; answers are kept by the caller for ten minutes anyway.
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(TimeUnit.SECONDS.toMillis(10))
                .build();
    }

    @Override
    public CompletableFuture<List<InetAddress>> lookupIp(String name) {
        CompletableFuture<List<InetAddress>> result = new CompletableFuture<>();
        resolver.resolveAll(name).addListener((Future<List<InetAddress>> f) -> {
            if (f.isSuccess()) {
                result.complete(List.copyOf(f.getNow()));
            } else {
                result.completeExceptionally(f.cause());
            }
        });
        return result;
    }

    @Override
    public CompletableFuture<List<String>> lookupTxt(String name) {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        resolver.resolveAll(new DefaultDnsQuestion(name, DnsRecordType.TXT)).addListener((Future<List<DnsRecord>> f) -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
            }
            List<DnsRecord> records = f.getNow();
            try {
                List<String> texts = new ArrayList<>(records.size());
                for (DnsRecord record : records) {
                    if (record.type() == DnsRecordType.TXT && record instanceof DnsRawRecord raw) {
                        texts.add(joinCharacterStrings(raw.content()));
                    }
                }
                result.complete(texts);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
        });
        return result;
    }

    /** TXT RDATA is a series of length-prefixed strings; one record's strings form one value. */
    static String joinCharacterStrings(ByteBuf rdata) {
        StringBuilder out = new StringBuilder();
        int i = rdata.readerIndex();
        int end = rdata.writerIndex();
        while (i < end) {
            int len = rdata.getUnsignedByte(i++);
            len = Math.min(len, end - i);
            out.append(rdata.toString(i, len, StandardCharsets.UTF_8));
            i += len;
        }
        return out.toString();
    }

    @Override
    public void close() {
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
