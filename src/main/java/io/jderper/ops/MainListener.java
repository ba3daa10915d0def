package io.jderper.ops;

import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

/**
 * Remembers the main (DERP) web server once it is bound. The management server publishes the same event from its
 * child context under the "management" namespace; only the unnamed one is the DERP listener.
 */
final class MainListener implements ApplicationListener<WebServerInitializedEvent> {
    private volatile WebServer server;

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (event.getApplicationContext().getServerNamespace() == null) {
            server = event.getWebServer();
        }
    }

    /** The bound port, or -1 before binding and after the server stopped. */
    int port() {
        WebServer s = server;
        return s == null ? -1 : s.getPort();
    }
}
