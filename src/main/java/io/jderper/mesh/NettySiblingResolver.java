package io.jderper.mesh;

import io.jderper.client.AsyncDnsResolver;
import io.netty.channel.EventLoop;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Sibling discovery through the non-blocking, uncached resolver: each round must see the current set of pods. */
final class NettySiblingResolver implements SiblingResolver {
    private final AsyncDnsResolver dns;

    NettySiblingResolver(EventLoop loop) {
        dns = new AsyncDnsResolver(loop, Duration.ofSeconds(5));
    }

    @Override
    public CompletableFuture<List<InetAddress>> resolve(String name) {
        return dns.lookupIp(name);
    }

    @Override
    public void close() {
        dns.close();
    }
}
