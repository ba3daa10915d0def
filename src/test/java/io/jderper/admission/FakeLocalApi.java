package io.jderper.admission;

import io.jderper.key.NodePublicKey;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tailscaled LocalAPI on a unix socket, enough of it for {@code /localapi/v0/whois}: the same Host check (anything
 * but {@code local-tailscaled.sock} or no host is refused, as tailscaled does against DNS rebinding), the same
 * parameter parsing and error texts, and a WhoIs answer shaped like tailscaled's for known node keys.
 */
final class FakeLocalApi implements AutoCloseable {
    record Request(String uri, HttpHeaders headers) {
    }

    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    final Set<NodePublicKey> tailnet = ConcurrentHashMap.newKeySet();
    /** When non-zero, every whois answers this status with a plain error body. */
    final AtomicInteger forcedStatus = new AtomicInteger();
    final Path socket;
    private final DisposableServer server;

    FakeLocalApi(Path dir) throws Exception {
        socket = dir.resolve("tailscaled.sock");
        Files.deleteIfExists(socket);
        server = HttpServer.create()
                .bindAddress(() -> new DomainSocketAddress(socket.toString()))
                .handle((req, res) -> {
                    requests.add(new Request(req.uri(), req.requestHeaders().copy()));
                    String host = req.requestHeaders().get("Host", "");
                    if (!host.isEmpty() && !host.equals(TailscaledWhois.LOCAL_API_HOST)) {
                        return error(res, 403, "invalid localapi request");
                    }
                    QueryStringDecoder q = new QueryStringDecoder(req.uri());
                    if (!q.path().equals("/localapi/v0/whois")) {
                        return error(res, 404, "404 page not found");
                    }
                    if (forcedStatus.get() != 0) {
                        return error(res, forcedStatus.get(), "forced failure");
                    }
                    List<String> addr = q.parameters().get("addr");
                    if (addr == null || addr.isEmpty() || addr.get(0).isEmpty()) {
                        return error(res, 400, "missing 'addr' parameter");
                    }
                    String v = addr.get(0);
                    if (!v.startsWith("nodekey:")) {
                        return error(res, 400, "invalid 'addr' parameter");
                    }
                    NodePublicKey key;
                    try {
                        key = NodePublicKey.parse(v);
                    } catch (IllegalArgumentException e) {
                        return error(res, 400, "invalid nodekey in 'addr' parameter");
                    }
                    if (!tailnet.contains(key)) {
                        return error(res, 404, "no match for IP:port");
                    }
                    return res.status(200).header("Content-Type", "application/json")
                            .header("Tailscale-Cap", "145")
                            .sendString(Mono.just(whoIs(key))).then();
                })
                .bindNow();
    }

    private static Mono<Void> error(HttpServerResponse res, int status, String text) {
        return res.status(status)
                .header("Content-Type", "text/plain; charset=utf-8")
                .header("X-Content-Type-Options", "nosniff")
                .sendString(Mono.just(text + "\n")).then();
    }

    /** The shape of tailscaled's apitype.WhoIsResponse, tab-indented as it writes it. */
    private static String whoIs(NodePublicKey key) {
        return "{\n\t\"Node\": {\n\t\t\"ID\": 123,\n\t\t\"StableID\": \"nTEST\",\n\t\t\"Name\": \"peer.tailnet.ts.net.\",\n"
                + "\t\t\"User\": 42,\n\t\t\"Key\": \"" + key + "\",\n\t\t\"KeyExpiry\": \"0001-01-01T00:00:00Z\",\n"
                + "\t\t\"Machine\": \"mkey:" + "0".repeat(64) + "\",\n\t\t\"DiscoKey\": \"discokey:" + "0".repeat(64) + "\",\n"
                + "\t\t\"Addresses\": [\n\t\t\t\"100.64.0.7/32\"\n\t\t],\n\t\t\"AllowedIPs\": [\n\t\t\t\"100.64.0.7/32\"\n\t\t],\n"
                + "\t\t\"Created\": \"2024-01-01T00:00:00Z\"\n\t},\n"
                + "\t\"UserProfile\": {\n\t\t\"ID\": 42,\n\t\t\"LoginName\": \"user@example.com\",\n"
                + "\t\t\"DisplayName\": \"User\",\n\t\t\"ProfilePicURL\": \"\"\n\t},\n\t\"CapMap\": null\n}";
    }

    @Override
    public void close() throws Exception {
        server.disposeNow();
        Files.deleteIfExists(socket);
    }
}
