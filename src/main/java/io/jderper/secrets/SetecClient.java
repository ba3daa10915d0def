package io.jderper.secrets;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;

/**
 * The part of setec's HTTP API the mesh key needs, as its Go client calls it: JSON POSTs to {@code /api/get} with
 * {@code Content-Type: application/json} and {@code Sec-X-Tailscale-No-Browsers: setec} (the server refuses requests
 * without it, 403). Non-blocking (the JDK's HTTP client); every answer is bounded in size and time.
 */
final class SetecClient {
    static final String NO_BROWSERS_HEADER = "Sec-X-Tailscale-No-Browsers";
    /** Far above a secret's JSON; a larger answer is not one. */
    static final int MAX_BODY = 64 << 10;

    private final String base;
    private final Duration timeout;
    private final HttpClient http;

    SetecClient(URI server, Duration timeout, Executor executor) {
        // The Go client joins the server URL and the API path with exactly one slash.
        String s = server.toString();
        this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .executor(executor)
                .build();
    }

    /** The active version ({@code Client.Get}): what the store asks for at startup. */
    CompletableFuture<SecretValue> get(String name) {
        return post("api/get", SetecJson.getRequest(name, 0, false))
                .thenApply(r -> {
                    if (r.status == 304) {
                        throw statusError(r);
                    }
                    return SetecJson.secretValue(r.body);
                });
    }

    /**
     * The active version if it is not {@code version} ({@code Client.GetIfChanged}): what the store's poll asks.
     * Empty when the server answers 304 Not Modified. Version 0 asks unconditionally, as in the Go client.
     */
    CompletableFuture<Optional<SecretValue>> getIfChanged(String name, long version) {
        if (version == 0) {
            return get(name).thenApply(Optional::of);
        }
        return post("api/get", SetecJson.getRequest(name, version, true))
                .thenApply(r -> r.status == 304 ? Optional.empty() : Optional.of(SetecJson.secretValue(r.body)));
    }

    private record Answer(int status, byte[] body) {
    }

    private CompletableFuture<Answer> post(String path, byte[] body) {
        URI uri = URI.create(base + "/" + path);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header(NO_BROWSERS_HEADER, "setec")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.sendAsync(request, info -> new BoundedBody(MAX_BODY))
                // The request timeout covers the head; this bounds the body too.
                .orTimeout(timeout.toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((response, error) -> {
                    if (error != null) {
                        throw unreachable(uri, error);
                    }
                    Answer a = new Answer(response.statusCode(), response.body());
                    if (a.status != 200 && a.status != 304) {
                        throw statusError(a);
                    }
                    return a;
                });
    }

    /** Status mapping of the Go client: 404 not found, 403 access denied, anything else but 200 an error. */
    private static SetecException statusError(Answer a) {
        String text = SetecJson.utf8(a.body).strip();
        if (text.length() > 200) {
            text = text.substring(0, 200) + "…";
        }
        return switch (a.status) {
            case 404 -> new SetecException(SetecException.Kind.NOT_FOUND, 404, "secret not found (404)", null);
            case 403 -> new SetecException(SetecException.Kind.ACCESS_DENIED, 403, "access denied (403): " + text, null);
            default -> new SetecException(SetecException.Kind.HTTP_STATUS, a.status,
                    "request returned status " + a.status + ": \"" + text + "\"", null);
        };
    }

    private static RuntimeException unreachable(URI uri, Throwable error) {
        Throwable c = error;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof SetecException s) {
            return s;
        }
        String what = c instanceof TimeoutException || c instanceof java.net.http.HttpTimeoutException
                ? "timed out" : c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
        return new SetecException(SetecException.Kind.UNREACHABLE, 0, "cannot reach " + uri + ": " + what, c);
    }

    /** Collects a response body up to a bound; a longer one fails the request instead of growing without limit. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                if (out.size() + b.remaining() > limit) {
                    subscription.cancel();
                    result.completeExceptionally(new SetecException(SetecException.Kind.BAD_RESPONSE,
                            "the answer is larger than " + limit + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
