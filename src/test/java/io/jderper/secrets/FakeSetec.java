package io.jderper.secrets;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A setec-compatible {@code /api/get} on 127.0.0.1 (ephemeral port), with the real server's request rules: POST only,
 * {@code Content-Type: application/json} exactly (else 400), {@code Sec-X-Tailscale-No-Browsers: setec} (else 403),
 * 404 for an unknown secret or version, 304 when {@code UpdateIfChanged} names the active version. Failures can be
 * injected for the next answers.
 */
public final class FakeSetec implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One request as it arrived. */
    public record Request(String method, String path, String contentType, String noBrowsers, String body) {
    }

    private record Secret(Map<Long, byte[]> versions, long active) {
    }

    private final HttpServer server;
    private final Map<String, Secret> secrets = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    /** When set, every answer to /api/get is this status and body instead. */
    private final AtomicReference<Map.Entry<Integer, String>> override = new AtomicReference<>();
    private volatile long delayMillis;

    public FakeSetec() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "fake-setec");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Adds {@code value} as version {@code version} of {@code name} and makes it the active one. */
    public synchronized void activate(String name, long version, String value) {
        Secret s = secrets.get(name);
        Map<Long, byte[]> versions = new TreeMap<>(s == null ? Map.of() : s.versions());
        versions.put(version, value.getBytes(StandardCharsets.UTF_8));
        secrets.put(name, new Secret(versions, version));
    }

    public void delete(String name) {
        secrets.remove(name);
    }

    /** Every later answer is {@code status} with {@code body} (null restores normal answers). */
    public void answer(Integer status, String body) {
        override.set(status == null ? null : Map.entry(status, body));
    }

    /** Every later answer waits this long first (a server that hangs). */
    public void delay(java.time.Duration d) {
        delayMillis = d.toMillis();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestHeaders().getFirst("Sec-X-Tailscale-No-Browsers"), body));
            if (!ex.getRequestMethod().equals("POST")) {
                send(ex, 400, "only POST requests allowed\n");
                return;
            }
            if (!"application/json".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
                send(ex, 400, "request body must be json\n");
                return;
            }
            if (!"setec".equals(ex.getRequestHeaders().getFirst("Sec-X-Tailscale-No-Browsers"))) {
                send(ex, 403, "access denied\n");
                return;
            }
            Map.Entry<Integer, String> o = override.get();
            if (o != null) {
                send(ex, o.getKey(), o.getValue());
                return;
            }
            if (!ex.getRequestURI().getPath().equals("/api/get")) {
                send(ex, 404, "404 page not found\n");
                return;
            }
            JsonNode req;
            try {
                req = JSON.readTree(body);
            } catch (RuntimeException e) {
                send(ex, 400, "bad request\n");
                return;
            }
            Secret s = secrets.get(req.path("Name").asString(""));
            long version = req.path("Version").asLong(0);
            boolean ifChanged = req.path("UpdateIfChanged").asBoolean(false);
            if (s == null) {
                send(ex, 404, "not found\n");
                return;
            }
            long pick;
            if (version == 0 || ifChanged) {
                if (ifChanged && version == s.active()) {
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    ex.sendResponseHeaders(304, -1);
                    return;
                }
                pick = s.active();
            } else {
                pick = version;
            }
            byte[] value = s.versions().get(pick);
            if (value == null) {
                send(ex, 404, "not found\n");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/json");
            send(ex, 200, "{\"Value\":\"" + Base64.getEncoder().encodeToString(value) + "\",\"Version\":" + pick + "}");
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    /** A loopback port nothing listens on (for "the server is down"). */
    public static URI closedPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }
}
