package io.jderper.ops;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Keeps the DERP listener's pages off the Actuator port. Boot runs a separate management server as a child context
 * whose dispatcher also consults the parent's handler mappings, so the home page (a catch-all), /debug/ and
 * /bootstrap-dns would otherwise answer there too, even for unexposed endpoint paths such as /actuator/env. On that
 * port only the Actuator links page and the exposed endpoints are served; everything else is a 404. On the DERP
 * listener this filter only compares a port number.
 */
final class ManagementPortGuard implements WebFilter, ApplicationListener<WebServerInitializedEvent> {
    private final ObjectProvider<PathMappedEndpoints> endpoints;
    private volatile int managementPort = -1;
    private volatile List<String> allowed;
    private volatile String basePath;

    ManagementPortGuard(ObjectProvider<PathMappedEndpoints> endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        // Only a management server on its own port has this namespace; sharing the main port, nothing is guarded.
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            managementPort = event.getWebServer().getPort();
        }
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        int guarded = managementPort;
        if (guarded > 0) {
            InetSocketAddress local = exchange.getRequest().getLocalAddress();
            if (local != null && local.getPort() == guarded
                    && !isEndpoint(exchange.getRequest().getPath().pathWithinApplication().value())) {
                exchange.getResponse().setStatusCode(HttpStatus.NOT_FOUND);
                return exchange.getResponse().setComplete();
            }
        }
        return chain.filter(exchange);
    }

    private boolean isEndpoint(String path) {
        List<String> paths = allowed;
        String base = basePath;
        if (paths == null) {
            PathMappedEndpoints mapped = endpoints.getIfAvailable();
            if (mapped == null) {
                return true;
            }
            basePath = base = mapped.getBasePath();
            allowed = paths = List.copyOf(mapped.getAllPaths());
        }
        // The links page at the base path itself; below it, only the exposed endpoints and their sub-paths.
        if (path.equals(base) || path.equals(base + "/") || (base.isEmpty() && path.equals("/"))) {
            return true;
        }
        for (String p : paths) {
            if (path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        return false;
    }
}
