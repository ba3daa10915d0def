package io.jderper.admission;

import io.jderper.http.IpText;
import io.jderper.key.NodePublicKey;
import io.jderper.server.ClientAdmission;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code -verify-client-url}: POSTs {@code {"NodePublic":"nodekey:…","Source":"<ip>"}} to an admission controller
 * and admits only on 200 with {@code {"Allow":true}}. Only a failure to get an answer at all (unreachable, timeout
 * before the response head) is subject to fail-open; a bad answer always denies.
 */
final class AdmissionControllerCheck implements AdmissionCheck {
    private static final Logger log = LoggerFactory.getLogger(AdmissionControllerCheck.class);

    /** The original decodes at most this much of the answer. */
    static final int MAX_BODY = 4 << 10;
    private static final JsonFactory JSON = new JsonFactory();

    private final URI url;
    private final boolean failOpen;
    private final Duration timeout;
    private final HttpClient client;

    AdmissionControllerCheck(URI url, boolean failOpen, Duration timeout, ConnectionProvider pool) {
        this.url = url;
        this.failOpen = failOpen;
        this.timeout = timeout;
        this.client = HttpClient.create(pool).followRedirect(true);
    }

    /** Compact JSON in the original's field order; {@code Source} is the bare IP, "" when unknown. */
    static byte[] requestBody(NodePublicKey key, InetSocketAddress remote) {
        String source = remote == null || remote.getAddress() == null ? "" : IpText.format(remote.getAddress());
        return ("{\"NodePublic\":\"" + key + "\",\"Source\":\"" + source + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Mono<ClientAdmission.Decision> check(NodePublicKey key, InetSocketAddress remote) {
        byte[] body = requestBody(key, remote);
        AtomicBoolean answered = new AtomicBoolean();
        return client.post()
                .uri(url)
                .send((request, out) -> out.sendByteArray(Mono.just(body)))
                .responseConnection((response, connection) -> {
                    answered.set(true);
                    boolean ok = response.status().code() == 200;
                    // The body is read to its end (every buffer released as it passes) but only its first 4 KiB
                    // are kept; cancelling mid-body instead could strand a buffer in the connection.
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    return connection.inbound().receive().asByteArray()
                            .doOnNext(chunk -> head.write(chunk, 0, Math.min(chunk.length, MAX_BODY - head.size())))
                            .then(Mono.fromSupplier(() -> {
                                if (!ok) {
                                    log.info("client {} rejected: admission controller answered {}", key.shortString(),
                                            response.status());
                                    return ClientAdmission.Decision.deny(DenyReason.CONTROLLER_ERROR);
                                }
                                return decide(key, remote, head.toByteArray());
                            }));
                })
                .next()
                .timeout(timeout)
                .onErrorResume(e -> {
                    if (answered.get()) {
                        log.info("client {} rejected: reading the admission controller's answer failed: {}", key.shortString(), e.toString());
                        return Mono.just(ClientAdmission.Decision.deny(DenyReason.CONTROLLER_ERROR));
                    }
                    if (failOpen) {
                        log.info("admission controller unreachable ({}); allowing client {}", e.toString(), key.shortString());
                        return Mono.just(ClientAdmission.Decision.ALLOW);
                    }
                    log.info("client {} rejected: admission controller unreachable: {}", key.shortString(), e.toString());
                    return Mono.just(ClientAdmission.Decision.deny(DenyReason.CONTROLLER_UNREACHABLE));
                })
                .defaultIfEmpty(ClientAdmission.Decision.deny(DenyReason.CONTROLLER_ERROR));
    }

    private static ClientAdmission.Decision decide(NodePublicKey key, InetSocketAddress remote, byte[] body) {
        Boolean allow = parseAllow(body);
        if (allow == null) {
            log.info("client {} rejected: admission controller answer is not {\"Allow\": bool} JSON", key.shortString());
            return ClientAdmission.Decision.deny(DenyReason.CONTROLLER_ERROR);
        }
        if (!allow) {
            log.debug("client {} from {} not allowed by the admission controller", key.shortString(), remote);
            return ClientAdmission.Decision.deny(DenyReason.CONTROLLER_DENIED);
        }
        return ClientAdmission.Decision.ALLOW;
    }

    /**
     * Decodes the first JSON value of {@code body} the way Go's json.Decoder fills {@code struct{Allow bool}}: keys
     * match case-insensitively, the last one wins, {@code null} leaves the field false, unknown keys are skipped, and
     * anything after the first value is ignored. Returns null when that value is incomplete, malformed, or of the wrong
     * type.
     */
    static Boolean parseAllow(byte[] body) {
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), body)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                return false;
            }
            if (t != JsonToken.START_OBJECT) {
                return null;
            }
            boolean allow = false;
            boolean wrongType = false;
            while ((t = p.nextToken()) == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equalsIgnoreCase("Allow")) {
                    if (v == JsonToken.VALUE_TRUE) {
                        allow = true;
                    } else if (v == JsonToken.VALUE_FALSE) {
                        allow = false;
                    } else if (v != JsonToken.VALUE_NULL) {
                        wrongType = true;
                    }
                }
                p.skipChildren();
            }
            if (t != JsonToken.END_OBJECT || wrongType) {
                return null;
            }
            return allow;
        } catch (JacksonException e) {
            return null;
        }
    }
}
