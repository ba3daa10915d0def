package io.jderper.ace;

import io.jderper.client.AsyncDnsResolver;
import io.jderper.client.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Address literals as they are; names through the shared non-blocking resolver (hosts file, then resolv.conf) on a
 * one-thread loop of its own, so a slow DNS server never stalls the listener's loops.
 */
final class DnsTargetResolver implements TargetResolver, AutoCloseable {
    private final EventLoopGroup group;
    private final AsyncDnsResolver dns;

    DnsTargetResolver(Transport transport, Duration queryTimeout) {
        group = transport.newGroup(1, new DefaultThreadFactory("ace-dns", true));
        dns = new AsyncDnsResolver(group.next(), queryTimeout);
    }

    @Override
    public CompletableFuture<List<InetAddress>> resolve(String host) {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
        if (literal != null) {
            try {
                return CompletableFuture.completedFuture(List.of(InetAddress.getByAddress(host, literal)));
            } catch (UnknownHostException impossible) {
                return CompletableFuture.failedFuture(impossible);
            }
        }
        return dns.lookupIp(host);
    }

    @Override
    public void close() {
        dns.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
