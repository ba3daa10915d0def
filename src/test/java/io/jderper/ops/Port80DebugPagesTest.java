package io.jderper.ops;

import io.jderper.tls.Port80Debug;
import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hook the TLS module's port-80 listener calls for request-URIs starting with /debug, served here by a plain
 * Reactor Netty listener on loopback exactly as that listener does.
 */
class Port80DebugPagesTest extends DerpServerTestBase {

    @Autowired
    Port80Debug debug;

    private DisposableServer port80;

    @BeforeEach
    void listen() {
        port80 = HttpServer.create().bindAddress(() -> new InetSocketAddress("127.0.0.1", 0))
                .handle((req, res) -> req.uri().startsWith("/allowed")
                        ? res.sendString(Mono.just(String.valueOf(debug.debugAllowed(req))))
                        : debug.serve(req, res))
                .bindNow();
    }

    @AfterEach
    void close() {
        port80.disposeNow();
    }

    @Test
    void debugPagesAndTheAccessRuleAreTheMainListenersOnes() throws Exception {
        int port = port80.port();
        var index = Http.get(port, "/debug/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body()).startsWith("<html><body><h1>derper debug</h1>");
        assertThat(Http.get(port, "/debug/varz").body()).contains("# TYPE derp_current_connections gauge");
        assertThat(Http.get(port, "/debug/check").body()).isEqualTo("derp.Server ConsistencyCheck okay");
        var denied = Http.get(port, "/debug/check", "X-Forwarded-For", "1.2.3.4");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).isEqualTo("debug access denied\n");
        assertThat(Http.get(port, "/debug").statusCode()).isEqualTo(307);
        assertThat(Http.get(port, "/debug/nonexistent").statusCode()).isEqualTo(404);
        // Other /debug… request-URIs fall to the home page, as in the original.
        assertThat(Http.get(port, "/debugger").body()).contains("<h1>DERP</h1>");

        assertThat(Http.get(port, "/allowed").body()).isEqualTo("true");
        assertThat(Http.get(port, "/allowed", "X-Forwarded-For", "1.2.3.4").body()).isEqualTo("false");
    }
}
