package io.jderper.mesh;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers from a table the test changes at will; a name mapped to null fails like a DNS timeout. */
final class FakeSiblingResolver implements SiblingResolver {
    private final Map<String, List<InetAddress>> answers = new ConcurrentHashMap<>();
    private final Map<String, Boolean> failing = new ConcurrentHashMap<>();
    final AtomicInteger lookups = new AtomicInteger();

    void answer(String name, String... addresses) {
        List<InetAddress> list = new ArrayList<>();
        for (String a : addresses) {
            try {
                list.add(InetAddress.getByName(a));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(a, e);
            }
        }
        answers.put(name, List.copyOf(list));
        failing.remove(name);
    }

    void fail(String name) {
        failing.put(name, true);
    }

    @Override
    public CompletableFuture<List<InetAddress>> resolve(String name) {
        lookups.incrementAndGet();
        if (failing.containsKey(name)) {
            return CompletableFuture.failedFuture(new UnknownHostException(name + ": query timed out"));
        }
        List<InetAddress> a = answers.get(name);
        return a == null ? CompletableFuture.failedFuture(new UnknownHostException(name)) : CompletableFuture.completedFuture(a);
    }
}
