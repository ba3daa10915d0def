package io.jderper.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** Canned answers; a name with no entry fails like NXDOMAIN, a name marked slow never answers. */
final class FakeDnsLookup implements BootstrapDnsLookup {

    final Map<String, List<InetAddress>> ips = new HashMap<>();
    final Map<String, List<String>> txt = new HashMap<>();
    final java.util.Set<String> slow = new java.util.HashSet<>();
    final AtomicInteger ipQueries = new AtomicInteger();
    boolean closed;

    FakeDnsLookup ip(String name, String... addresses) {
        ips.put(name, java.util.Arrays.stream(addresses).map(FakeDnsLookup::addr).toList());
        return this;
    }

    FakeDnsLookup txt(String name, String... values) {
        txt.put(name, List.of(values));
        return this;
    }

    static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public CompletableFuture<List<InetAddress>> lookupIp(String name) {
        ipQueries.incrementAndGet();
        return answer(name, ips.get(name));
    }

    @Override
    public CompletableFuture<List<String>> lookupTxt(String name) {
        return answer(name, txt.get(name));
    }

    private <T> CompletableFuture<T> answer(String name, T value) {
        if (slow.contains(name)) {
            return new CompletableFuture<>();
        }
        return value == null
                ? CompletableFuture.failedFuture(new UnknownHostException("no such host " + name))
                : CompletableFuture.completedFuture(value);
    }

    @Override
    public void close() {
        closed = true;
    }
}
