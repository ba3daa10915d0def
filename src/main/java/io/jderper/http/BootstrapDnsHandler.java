package io.jderper.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * {@code /bootstrap-dns}, any method: lets clients whose DNS is broken learn the addresses of control-plane
 * names from a DERP server they can reach by IP (derper-behaviour.md §14).
 *
 * <p>Always 200 with {@code application/json}, the browser headers and {@code Connection: close} (requests
 * come from every region and rarely repeat, so a kept-alive connection only costs memory). The body is the
 * published map rendered at refresh time; {@code ?q=name} for an unpublished name answers just that name to
 * clients inside its rollout percentage.
 */
@Component
@org.springframework.core.annotation.Order(1)
public final class BootstrapDnsHandler implements RouterFunction<ServerResponse> {

    public static final String PATH = "/bootstrap-dns";

    /** The original clears its set of queried names past this size, so hostile queries cannot grow it. */
    static final int MAX_QUERIED_DOMAINS = 500;

    private static final byte[] EMPTY = new byte[0];

    private final BootstrapDnsResolver resolver;
    private final DoubleSupplier loopbackCoin;
    private final RouterFunction<ServerResponse> route;
    private final Set<String> queriedDomains = ConcurrentHashMap.newKeySet();

    private final Counter requests;
    private final Counter publishedHits;
    private final Counter publishedMisses;
    private final Counter unpublishedHits;
    private final Counter unpublishedMisses;
    private final Counter unpublishedPercentMisses;

    @Autowired
    public BootstrapDnsHandler(BootstrapDnsResolver resolver, MeterRegistry registry) {
        this(resolver, registry, () -> ThreadLocalRandom.current().nextDouble());
    }

    BootstrapDnsHandler(BootstrapDnsResolver resolver, MeterRegistry registry, DoubleSupplier loopbackCoin) {
        this.resolver = resolver;
        this.loopbackCoin = loopbackCoin;
        this.route = RouterFunctions.route(RequestPredicates.path(PATH), this::handle);
        requests = counter(registry, "bootstrap_dns_requests", "Requests to /bootstrap-dns");
        publishedHits = counter(registry, "bootstrap_dns_published_hits", "?q= names found with addresses in the published set");
        publishedMisses = counter(registry, "bootstrap_dns_published_misses", "?q= names in the published set without addresses");
        unpublishedHits = counter(registry, "bootstrap_dns_unpublished_hits", "?q= names found with addresses in the unpublished set");
        unpublishedMisses = counter(registry, "bootstrap_dns_unpublished_misses", "?q= names in neither set");
        unpublishedPercentMisses = counter(registry, "bootstrap_dns_unpublished_percent_misses",
                "?q= unpublished names withheld because the client is outside the rollout percentage");
        Gauge.builder("bootstrap_dns_queried_domains", queriedDomains, Set::size)
                .description("Distinct names asked for with ?q= (reset past " + MAX_QUERIED_DOMAINS + ")")
                .register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    @Override
    public Mono<HandlerFunction<ServerResponse>> route(ServerRequest request) {
        return route.route(request);
    }

    @Override
    public void accept(RouterFunctions.Visitor visitor) {
        route.accept(visitor);
    }

    Mono<ServerResponse> handle(ServerRequest request) {
        String q = firstQueryValue(request.uri().getRawQuery(), "q");
        InetAddress client = request.remoteAddress().map(InetSocketAddress::getAddress).orElse(null);
        byte[] body = answer(q, client);
        return ServerResponse.ok()
                .headers(h -> {
                    BrowserHeaders.apply(h);
                    h.setContentType(MediaType.APPLICATION_JSON);
                    h.set(HttpHeaders.CONNECTION, "close");
                })
                .bodyValue(body);
    }

    /** The response body for one request; {@code q} may be null, {@code client} may be null when unknown. */
    byte[] answer(String q, InetAddress client) {
        requests.increment();
        BootstrapDnsResolver.Published published = resolver.published();
        if (q != null && !q.isEmpty()) {
            queriedDomains.add(q);
            if (queriedDomains.size() > MAX_QUERIED_DOMAINS) {
                queriedDomains.clear();
            }
            BootstrapDnsResolver.Unpublished hidden = resolver.unpublished();
            List<String> hiddenIps = hidden == null ? null : hidden.ips().get(q);
            if (hiddenIps != null && !hiddenIps.isEmpty()) {
                unpublishedHits.increment();
                if (RolloutPercent.matches(client, hidden.percentFor(q), loopbackCoin)) {
                    return GoJson.marshalIndent(Map.of(q, hiddenIps));
                }
                unpublishedPercentMisses.increment();
            }
            Map<String, List<String>> publishedIps = published == null ? null : published.ips();
            if (publishedIps != null && publishedIps.containsKey(q)) {
                List<String> ips = publishedIps.get(q);
                (ips != null && !ips.isEmpty() ? publishedHits : publishedMisses).increment();
            } else {
                unpublishedMisses.increment();
            }
        }
        return published == null ? EMPTY : published.json();
    }

    /**
     * The first value of {@code key} as Go's {@code url.Values.Get} finds it: pairs split on '&', pairs with
     * ';' or a bad %-escape skipped, '+' meaning space.
     */
    static String firstQueryValue(String rawQuery, String key) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty() || pair.indexOf(';') >= 0) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = unescape(eq < 0 ? pair : pair.substring(0, eq));
            if (k == null || !k.equals(key)) {
                continue;
            }
            String v = unescape(eq < 0 ? "" : pair.substring(eq + 1));
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private static String unescape(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '+') {
                out[n++] = ' ';
            } else if (b == '%') {
                if (i + 2 >= in.length) {
                    return null;
                }
                int hi = Character.digit(in[i + 1], 16);
                int lo = Character.digit(in[i + 2], 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = b;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
