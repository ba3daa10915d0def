package io.jderper.admission;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.jderper.testsupport.CapturedLogs;
import io.jderper.testsupport.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Malformed input is a client's error, not the operator's: a thousand bad requests of each kind are all counted in
 * {@code derp_client_errors{kind}}, each closes only its own connection, and together they add at most a line per
 * kind to the log, without a stack trace.
 */
class ClientErrorFloodTest extends GuardedServerBase {
    static final int ATTACKS = 1000;
    static final String UPGRADE = "GET /derp HTTP/1.1\r\nHost: derp.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: derp\r\n";
    static final String KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

    private CapturedLogs logged;

    @BeforeEach
    void capture() {
        logged = CapturedLogs.all();
    }

    @AfterEach
    void release() {
        logged.close();
    }

    interface Attack {
        /** Sends the bad input on a fresh connection; returns what the server answered before closing. */
        byte[] run(Socket s) throws IOException;
    }

    /** Runs {@code n} attacks from a few threads; returns how many ended with the server closing the connection. */
    private int flood(int n, Attack attack) throws Exception {
        AtomicInteger closed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                runs.add(pool.submit(() -> {
                    try (Socket s = open()) {
                        attack.run(s);
                        if (drainUntilClosed(s, 5000) >= 0) {
                            closed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        return closed.get();
    }

    private static byte[] send(Socket s, String ascii) throws IOException {
        s.getOutputStream().write(ascii.getBytes(StandardCharsets.ISO_8859_1));
        return new byte[0];
    }

    /** Completes a WebSocket upgrade, then sends {@code frame}. */
    private static Attack afterUpgrade(byte[] frame) {
        return s -> {
            s.getOutputStream().write((UPGRADE + KEY + "\r\n").getBytes(StandardCharsets.US_ASCII));
            RawHttp.readHead(s.getInputStream());
            s.getOutputStream().write(frame);
            return new byte[0];
        };
    }

    private List<ILoggingEvent> linesAtInfoOrAbove() {
        return logged.atLeast(Level.INFO);
    }

    private void assertQuietAndCounted(String kind, Attack attack) throws Exception {
        double before = count("derp_client_errors", "kind", kind);
        int closed = flood(ATTACKS, attack);
        assertThat(closed).isEqualTo(ATTACKS);
        assertThat(countOnceAtLeast(before + ATTACKS, "derp_client_errors", "kind", kind) - before)
                .as("each error counted once").isEqualTo(ATTACKS);
        List<ILoggingEvent> lines = linesAtInfoOrAbove();
        assertThat(lines).as("log lines for %d %s errors: %s", ATTACKS, kind, lines).hasSizeLessThanOrEqualTo(1);
        assertThat(lines).allSatisfy(e -> {
            assertThat(e.getThrowableProxy()).isNull();
            assertThat(e.getFormattedMessage()).contains(kind).hasSizeLessThan(400);
        });
    }

    @Test
    void malformedRequestLine() throws Exception {
        assertQuietAndCounted("http_malformed", s -> send(s, "GARBAGE\r\n\r\n"));
    }

    @Test
    void oversizedHeader() throws Exception {
        assertQuietAndCounted("http_too_large", s -> send(s, "GET / HTTP/1.1\r\nHost: derp.test\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n"));
    }

    @Test
    void websocketUpgradeWithoutKey() throws Exception {
        assertQuietAndCounted("websocket_handshake", s -> send(s, UPGRADE + "\r\n"));
    }

    @Test
    void unmaskedWebSocketFrame() throws Exception {
        assertQuietAndCounted("websocket_frame", afterUpgrade(new byte[]{(byte) 0x82, 5, 1, 2, 3, 4, 5}));
    }

    @Test
    void reservedWebSocketOpcode() throws Exception {
        assertQuietAndCounted("websocket_frame", afterUpgrade(new byte[]{(byte) 0x83, (byte) 0x80, 1, 2, 3, 4}));
    }

    @Test
    void oversizedWebSocketFrame() throws Exception {
        // A 1 MiB binary frame announced; the limit is one DERP frame (64 KiB and a bit).
        assertQuietAndCounted("websocket_frame", afterUpgrade(new byte[]{(byte) 0x82, (byte) 0xFF,
                0, 0, 0, 0, 0, 0x10, 0, 0, 1, 2, 3, 4}));
    }
}
