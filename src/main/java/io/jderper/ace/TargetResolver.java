package io.jderper.ace;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Turns a CONNECT host name into addresses without blocking the calling event loop. */
public interface TargetResolver {
    CompletableFuture<List<InetAddress>> resolve(String host);
}
