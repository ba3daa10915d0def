package io.jderper.client;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Netty's non-blocking resolver (hosts file, then the servers and search domains of /etc/resolv.conf) on a given
 * event loop, so no thread ever blocks on DNS. Nothing is cached: its callers poll (bootstrap DNS refreshes, mesh
 * discovery rounds) precisely to see the current answers. Its UDP channel is of the loop's own transport, whichever
 * {@code derper.transport} chose.
 */
public final class AsyncDnsResolver implements AutoCloseable {
    private final DnsNameResolver resolver;

    public AsyncDnsResolver(EventLoop loop, Duration queryTimeout) {
        resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(Transport.of(loop.parent()).datagramChannelClass())
                // Both families, IPv4 first, as Go's "ip" network asks.
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .resolveCache(NoopDnsCache.INSTANCE)
                .queryTimeoutMillis(queryTimeout.toMillis())
                .build();
    }

    /** Every address of {@code name}. */
    public CompletableFuture<List<InetAddress>> lookupIp(String name) {
        return completion(resolver.resolveAll(name));
    }

    /** The answer records of one question; the caller releases them. */
    public CompletableFuture<List<DnsRecord>> query(DnsQuestion question) {
        return completion(resolver.resolveAll(question));
    }

    private static <T> CompletableFuture<List<T>> completion(Future<List<T>> lookup) {
        CompletableFuture<List<T>> result = new CompletableFuture<>();
        lookup.addListener((Future<List<T>> f) -> {
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
