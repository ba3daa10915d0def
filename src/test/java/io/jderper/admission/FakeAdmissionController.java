package io.jderper.admission;

import io.netty.handler.codec.http.HttpHeaders;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A stand-in for a {@code -verify-client-url} admission controller on loopback: records each request and answers with
 * whatever {@link #answer} says (status, body, delay before the response head).
 */
final class FakeAdmissionController implements AutoCloseable {
    record Request(String method, String uri, HttpHeaders headers, String body) {
    }

    record Answer(int status, String body, Duration delay) {
        static Answer allow(boolean allow) {
            return new Answer(200, "{\"Allow\":" + allow + "}", Duration.ZERO);
        }
    }

    final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    final AtomicReference<Answer> answer = new AtomicReference<>(Answer.allow(true));
    private final DisposableServer server;

    FakeAdmissionController() {
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .handle((req, res) -> req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                        .flatMap(body -> {
                            requests.add(new Request(req.method().name(), req.uri(), req.requestHeaders().copy(), body));
                            Answer a = answer.get();
                            return Mono.delay(a.delay()).then(res.status(a.status())
                                    .header("Content-Type", "application/json")
                                    .sendString(Mono.just(a.body())).then());
                        }))
                .bindNow();
    }

    URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    @Override
    public void close() {
        server.disposeNow();
    }
}
