package io.jderper.http;

import io.jderper.client.AsyncDnsResolver;
import io.jderper.client.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bootstrap DNS lookups on a one-thread loop of their own, through the shared non-blocking resolver. Each refresh
 * asks afresh; answers are kept by the caller for ten minutes anyway.
 */
final class NettyBootstrapDnsLookup implements BootstrapDnsLookup {

    private final EventLoopGroup group;
    private final AsyncDnsResolver dns;

    NettyBootstrapDnsLookup(Transport transport) {
        group = transport.newGroup(1, new DefaultThreadFactory("bootstrap-dns", true));
        dns = new AsyncDnsResolver(group.next(), Duration.ofSeconds(10));
    }

    @Override
    public CompletableFuture<List<InetAddress>> lookupIp(String name) {
        return dns.lookupIp(name);
    }

    @Override
    public CompletableFuture<List<String>> lookupTxt(String name) {
        return dns.query(new DefaultDnsQuestion(name, DnsRecordType.TXT)).thenApply(records -> {
            try {
                List<String> texts = new ArrayList<>(records.size());
                for (DnsRecord record : records) {
                    if (record.type() == DnsRecordType.TXT && record instanceof DnsRawRecord raw) {
                        texts.add(joinCharacterStrings(raw.content()));
                    }
                }
                return texts;
            } finally {
                records.forEach(ReferenceCountUtil::release);
            }
        });
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
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
