package io.jderper.admission;

import io.jderper.key.NodePublicKey;
import io.jderper.server.ClientAdmission;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpHeaderNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code -verify-clients}: asks the tailscaled next to us, over its LocalAPI unix socket, whether a node key belongs
 * to the tailnet. 200 with a JSON WhoIs answer admits, 404 denies, anything else denies too (as the original does).
 */
final class TailscaledWhois implements AdmissionCheck {
    private static final Logger log = LoggerFactory.getLogger(TailscaledWhois.class);

    /** Host name the LocalAPI insists on (it refuses others to stop DNS rebinding). */
    static final String LOCAL_API_HOST = "local-tailscaled.sock";
    /** The capability version the original derper's LocalAPI client announces at the commit we follow. */
    static final int CAPABILITY_VERSION = 145;
    /** WhoIs answers are a few kilobytes; anything far beyond is not one. */
    private static final int MAX_BODY = 1 << 20;

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final HttpClient client;
    private final Duration timeout;
    private final Path socket;

    TailscaledWhois(Path socket, Duration timeout, ConnectionProvider pool) {
        this.socket = socket;
        this.timeout = timeout;
        this.client = HttpClient.create(pool)
                .remoteAddress(() -> new DomainSocketAddress(socket.toString()))
                .headers(h -> h.set(HttpHeaderNames.HOST, LOCAL_API_HOST)
                        .set("Tailscale-Cap", Integer.toString(CAPABILITY_VERSION)));
    }

    static String requestPath(NodePublicKey key) {
        // url.QueryEscape of "nodekey:<hex>": only the colon needs escaping.
        return "/localapi/v0/whois?addr=nodekey%3A" + key.toHex();
    }

    @Override
    public Mono<ClientAdmission.Decision> check(NodePublicKey key, InetSocketAddress remote) {
        return client.get()
                .uri(requestPath(key))
                .responseSingle((response, body) -> body.asByteArray()
                        .defaultIfEmpty(new byte[0])
                        .map(bytes -> decide(key, response.status().code(), bytes)))
                .timeout(timeout)
                .onErrorResume(e -> {
                    log.info("client {} rejected: cannot ask tailscaled at {}: {}", key.shortString(), socket, e.toString());
                    return Mono.just(ClientAdmission.Decision.deny(DenyReason.TAILSCALED_ERROR));
                });
    }

    static ClientAdmission.Decision decide(NodePublicKey key, int status, byte[] body) {
        if (status == 404) {
            log.debug("client {} rejected: not found in local tailscaled", key.shortString());
            return ClientAdmission.Decision.deny(DenyReason.TAILSCALED_UNKNOWN);
        }
        if (status != 200) {
            String text = new String(body, 0, Math.min(body.length, 512), StandardCharsets.UTF_8).trim();
            if (text.contains("invalid 'addr' parameter")) {
                log.warn("client {} rejected: tailscaled is too old for node-key lookups (update it)", key.shortString());
            } else {
                log.info("client {} rejected: tailscaled answered {}: {}", key.shortString(), status, text);
            }
            return ClientAdmission.Decision.deny(DenyReason.TAILSCALED_ERROR);
        }
        if (body.length > MAX_BODY || !isWhoIsJson(body)) {
            log.info("client {} rejected: tailscaled answered 200 without a WhoIs JSON object", key.shortString());
            return ClientAdmission.Decision.deny(DenyReason.TAILSCALED_ERROR);
        }
        return ClientAdmission.Decision.ALLOW;
    }

    /** A whole JSON document that is an object or null, as Go's json.Unmarshal into a struct pointer accepts. */
    static boolean isWhoIsJson(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            return root != null && !root.isMissingNode() && (root.isObject() || root.isNull());
        } catch (JacksonException e) {
            return false;
        }
    }
}
