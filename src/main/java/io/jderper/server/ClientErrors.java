package io.jderper.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.ssl.NotSslRecordException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The one place that reports errors a client caused: malformed HTTP, WebSocket protocol violations, TLS garbage.
 * Every one is counted in {@code derp_client_errors{kind}}; the log gets at most one line per kind per interval
 * ({@code derper.limits.client-error-log-interval}), without a stack trace, carrying the number of reports it stands
 * for. A client therefore cannot turn its bytes into log bytes: a flood of bad requests costs one line a minute.
 * Exceptions that {@link #classify} does not recognise are bugs and are logged in full by the caller.
 */
public final class ClientErrors {
    private static final Logger log = LoggerFactory.getLogger(ClientErrors.class);
    public static final Duration DEFAULT_LOG_INTERVAL = Duration.ofMinutes(1);

    /** What the client did wrong; the metric label is the lower-case name. */
    public enum Kind {
        /** An HTTP request head that does not parse (request line, header syntax, version). */
        HTTP_MALFORMED,
        /** An HTTP request line or header block beyond the decoder's limits. */
        HTTP_TOO_LARGE,
        /** A WebSocket upgrade request the handshake refuses (missing or bad key, unsupported version). */
        WEBSOCKET_HANDSHAKE,
        /** A WebSocket frame that breaks RFC 6455: unmasked, reserved opcode or bits, oversized, bad close. */
        WEBSOCKET_FRAME,
        /** Bytes on a TLS listener that are not a TLS handshake, or a handshake that fails. */
        TLS;

        final String label = name().toLowerCase(Locale.ROOT);
    }

    private final Map<Kind, Tally> tallies = new EnumMap<>(Kind.class);
    private final long intervalNanos;
    private final LongSupplier clock;

    public ClientErrors(MeterRegistry registry, Duration logInterval) {
        this(registry, logInterval, System::nanoTime);
    }

    ClientErrors(MeterRegistry registry, Duration logInterval, LongSupplier clock) {
        this.intervalNanos = logInterval.toNanos();
        this.clock = clock;
        for (Kind kind : Kind.values()) {
            Tally t = new Tally(clock.getAsLong() - intervalNanos);
            tallies.put(kind, t);
            FunctionCounter.builder("derp_client_errors", t.total, LongAdder::doubleValue)
                    .tag("kind", kind.label)
                    .description("connections closed for a protocol error the client made (logged at most once per interval per kind)")
                    .register(registry);
        }
    }

    /** Counts one error and logs it if this kind has not been logged within the interval. Any thread. */
    public void report(Kind kind, Object remote, String detail) {
        Tally t = tallies.get(kind);
        t.total.increment();
        long now = clock.getAsLong();
        long due = t.nextLogAt.get();
        if (now - due >= 0 && t.nextLogAt.compareAndSet(due, now + intervalNanos)) {
            long suppressed = t.suppressed.sumThenReset();
            if (suppressed == 0) {
                log.info("client error {} from {}: {}", kind.label, remote, detail);
            } else {
                log.info("client error {} from {}: {} ({} more since the last report)", kind.label, remote, detail, suppressed);
            }
        } else {
            t.suppressed.increment();
        }
    }

    /** Reports {@code cause} if a client caused it; false for anything else, which the caller treats as a bug. */
    public boolean reportIfClientError(Throwable cause, Object remote) {
        Optional<Kind> kind = classify(cause);
        kind.ifPresent(k -> report(k, remote, describe(cause)));
        return kind.isPresent();
    }

    public long count(Kind kind) {
        return tallies.get(kind).total.sum();
    }

    /** Which client error an exception stands for, looking through Netty's decoder wrappers. */
    public static Optional<Kind> classify(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CorruptedWebSocketFrameException) {
                return Optional.of(Kind.WEBSOCKET_FRAME);
            }
            if (t instanceof WebSocketHandshakeException) {
                return Optional.of(Kind.WEBSOCKET_HANDSHAKE);
            }
            if (t instanceof NotSslRecordException || t instanceof SSLException) {
                return Optional.of(Kind.TLS);
            }
            if (t instanceof TooLongFrameException) {
                return Optional.of(Kind.HTTP_TOO_LARGE);
            }
            if (t instanceof CorruptedFrameException) {
                return Optional.of(Kind.HTTP_MALFORMED);
            }
            if (!(t instanceof DecoderException)) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** A connection reset or broken pipe: the client went away, which is neither a protocol error nor a bug. */
    public static boolean isDisconnect(Throwable cause) {
        return cause instanceof IOException && !(cause instanceof SSLException);
    }

    /** The innermost message, cut short: the client chose those bytes, so they must not grow the log. */
    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        StringBuilder b = new StringBuilder(Math.min(text.length(), 161));
        for (int i = 0; i < text.length() && b.length() < 160; i++) {
            char c = text.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c); // no line breaks or escapes of the client's choosing
        }
        return b.length() < text.length() ? b.append('…').toString() : b.toString();
    }

    private static final class Tally {
        final LongAdder total = new LongAdder();
        final LongAdder suppressed = new LongAdder();
        final AtomicLong nextLogAt;

        Tally(long firstDue) {
            nextLogAt = new AtomicLong(firstDue);
        }
    }
}
