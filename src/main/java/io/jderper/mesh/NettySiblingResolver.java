package io.jderper.mesh;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Netty's asynchronous resolver (hosts file, then the servers and search domains of /etc/resolv.conf), so no mesh
 * thread ever blocks on DNS. Nothing is cached: each discovery round must see the current set of pods.
 */
final class NettySiblingResolver implements SiblingResolver {
    private final DnsNameResolver resolver;

    NettySiblingResolver(EventLoop loop) {
        resolver = new DnsNameResolverBuilder(loop)
                // The loop comes from ClientEventLoops.newGroup, which is epoll-based exactly when epoll is available.
                .datagramChannelType(Epoll.isAvailable() ? EpollDatagramChannel.class : NioDatagramChannel.class)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(TimeUnit.SECONDS.toMillis(5))
                .build();
    }

    @Override
    public CompletableFuture<List<InetAddress>> resolve(String name) {
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
    public void close() {
        resolver.close();
    }
}
