package io.jderper.http;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asynchronous name lookups for the bootstrap DNS refresh; replaced by a fake in tests. */
interface BootstrapDnsLookup extends AutoCloseable {

    /** A and AAAA records (hosts file first), like Go's {@code LookupIP(ctx, "ip", name)}. */
    CompletableFuture<List<InetAddress>> lookupIp(String name);

    /** TXT records, one string per record with its character-strings joined, like Go's {@code LookupTXT}. */
    CompletableFuture<List<String>> lookupTxt(String name);

    @Override
    void close();
}
