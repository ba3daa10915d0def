package io.jderper.probe;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Where the prober gets its DERP map from, each time the map probe runs. */
@FunctionalInterface
public interface MapSource {

    CompletionStage<DerpMap> fetch(ProbeRun run);

    /** The map could not be reached at all (as opposed to a bad answer); a recent map may stand in for it. */
    final class Unreachable extends RuntimeException {
        Unreachable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** A map built in process, e.g. this server's own region. */
    static MapSource of(Supplier<DerpMap> builder) {
        return run -> {
            try {
                return CompletableFuture.completedFuture(builder.get());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(new ProbeFailure("building the local DERP map: " + Probe.message(e)));
            }
        };
    }

    /** A map behind an {@code https://}, {@code http://} or {@code file://} URL. */
    static MapSource url(String url, HttpClient http) {
        URI uri = URI.create(url);
        if ("file".equals(uri.getScheme())) {
            return run -> {
                Path path;
                try {
                    path = Path.of(uri);
                } catch (IllegalArgumentException e) {
                    return CompletableFuture.failedFuture(new ProbeFailure("fetching " + url + ": " + e.getMessage()));
                }
                byte[] body;
                try {
                    body = Files.readAllBytes(path);
                } catch (NoSuchFileException e) {
                    return CompletableFuture.failedFuture(new ProbeFailure("fetching " + url + ": 404 Not Found"));
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(new Unreachable("fetching " + url + ": " + e.getMessage(), e));
                }
                return CompletableFuture.completedFuture(decode(url, body));
            };
        }
        return run -> {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(run.remaining().plusMillis(1))
                    .header("Accept", "application/json").GET().build();
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
                    .handle((response, e) -> {
                        if (e != null) {
                            throw new Unreachable("fetching " + url + ": " + Probe.message(e), e);
                        }
                        if (response.statusCode() != 200) {
                            throw new ProbeFailure("fetching " + url + ": " + response.statusCode());
                        }
                        return decode(url, response.body());
                    });
        };
    }

    private static DerpMap decode(String url, byte[] body) {
        try {
            return DerpMap.parse(body);
        } catch (IllegalArgumentException e) {
            throw new ProbeFailure("decoding " + url + " JSON: " + e.getMessage());
        }
    }
}
