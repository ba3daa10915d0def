package io.jderper.mesh;

import io.jderper.JderperApplication;
import io.jderper.server.DerpMetrics;
import io.jderper.server.DerpServer;
import io.jderper.testsupport.DerpServerTestBase;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One whole jderper (its own Spring context) bound to one loopback address, for mesh tests that run several nodes in
 * one JVM. The server key lives in a per-node directory, so a restarted node keeps its identity.
 */
final class MeshNode implements AutoCloseable {
    static final String MESH_KEY = DerpServerTestBase.MESH_KEY_HEX;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    final String address;
    final int port;
    private final Path dir;
    private final List<String> args;
    private final SiblingResolver resolver;
    private volatile ConfigurableApplicationContext context;

    private MeshNode(String name, String address, int port, List<String> extraArgs, SiblingResolver resolver) {
        this.name = name;
        this.address = address;
        this.port = port;
        this.resolver = resolver;
        try {
            this.dir = Files.createTempDirectory("jderper-mesh-" + name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> a = new ArrayList<>(List.of(
                "--derper.listen=" + address + ":" + port,
                "--derper.hostname=" + name,
                "--derper.key-file=" + dir.resolve("derper.key"),
                "--derper.http.port=-1",
                "--derper.stun.enabled=false",
                "--derper.relay.drain-period=0s",
                "--derper.relay.restart-reconnect-in=0s",
                "--derper.mesh.tls=false",
                "--management.server.port=0",
                "--management.server.address=" + address,
                // Operators see the links' details this way; the shipped default shows components only.
                "--management.endpoint.health.show-details=always",
                "--spring.main.banner-mode=off"));
        a.addAll(extraArgs);
        // Spring joins repeated command-line properties with commas: keep only the last value of each.
        java.util.Map<String, String> byKey = new java.util.LinkedHashMap<>();
        for (String arg : a) {
            byKey.put(arg.substring(0, arg.indexOf('=')), arg);
        }
        this.args = List.copyOf(byKey.values());
    }

    static MeshNode start(String name, String address, int port, List<String> extraArgs) {
        return start(name, address, port, extraArgs, null);
    }

    static MeshNode start(String name, String address, int port, List<String> extraArgs, SiblingResolver resolver) {
        MeshNode n = new MeshNode(name, address, port, extraArgs, resolver);
        n.start();
        return n;
    }

    synchronized void start() {
        if (context != null) {
            throw new IllegalStateException(name + " is running");
        }
        SpringApplicationBuilder b = new SpringApplicationBuilder(JderperApplication.class).main(JderperApplication.class)
                .web(WebApplicationType.REACTIVE);
        if (resolver != null) {
            b.initializers(ctx -> ctx.getBeanFactory().registerSingleton("testSiblingResolver", resolver));
        }
        context = b.run(args.toArray(String[]::new));
    }

    /** Closes the node's context: the relay drains (drain period 0), links and listeners close. */
    synchronized void stop() {
        ConfigurableApplicationContext c = context;
        context = null;
        if (c != null) {
            c.close();
        }
    }

    boolean running() {
        return context != null;
    }

    @Override
    public void close() {
        stop();
    }

    DerpServer server() {
        return context.getBean(DerpServer.class);
    }

    DerpMetrics metrics() {
        return context.getBean(DerpMetrics.class);
    }

    RegionMesh mesh() {
        return context.getBean(RegionMesh.class);
    }

    MeshMetrics meshMetrics() {
        return context.getBean(MeshMetrics.class);
    }

    URI derpUrl() {
        return URI.create("http://" + address + ":" + port + "/derp");
    }

    /** The entry other nodes list this node under. */
    String entry() {
        return address + ":" + port;
    }

    int managementPort() {
        return Integer.parseInt(context.getEnvironment().getRequiredProperty("local.management.port"));
    }

    HttpResponse<String> management(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + address + ":" + managementPort() + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public String toString() {
        return name + "@" + entry();
    }

    /** A TCP port that is free on every one of {@code addresses} right now. */
    static int freePortOnAll(String... addresses) {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket first = new ServerSocket()) {
                first.bind(new InetSocketAddress(addresses[0], 0));
                int port = first.getLocalPort();
                boolean free = true;
                for (int i = 1; i < addresses.length && free; i++) {
                    try (ServerSocket other = new ServerSocket()) {
                        other.bind(new InetSocketAddress(addresses[i], port));
                    } catch (IOException e) {
                        free = false;
                    }
                }
                if (free) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no port free on all of " + List.of(addresses));
    }

    static void await(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
