package io.jderper.testsupport;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.protocol.Frame;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watches a node's graceful shutdown from outside: many real DERP clients, each noting when its Restarting frame
 * arrived and when its connection closed, and a readiness prober that records every answer of the management port
 * (or that it refused the connection). The assertions are about the shape of the drain, with margins that hold on a
 * loaded machine, never about exact timings.
 */
public final class DrainObserver implements AutoCloseable {

    /** One client's view of the shutdown (System.nanoTime values, 0 while not seen). */
    public static final class Watched implements FrameListener {
        volatile long restartingAt;
        volatile long closedAt;
        volatile DerpClient client;
        final List<byte[]> packets = new CopyOnWriteArrayList<>();

        @Override
        public void onFrame(DerpClient c, Frame frame) {
            if (frame instanceof Frame.Restarting && restartingAt == 0) {
                restartingAt = System.nanoTime();
            } else if (frame instanceof Frame.RecvPacket p) {
                packets.add(io.netty.buffer.ByteBufUtil.getBytes(p.packet()));
            }
        }

        @Override
        public void onClose(DerpClient c, Throwable cause) {
            if (closedAt == 0) {
                closedAt = System.nanoTime();
            }
        }

        public long restartingAt() {
            return restartingAt;
        }

        public long closedAt() {
            return closedAt;
        }

        public DerpClient client() {
            return client;
        }

        public List<byte[]> packets() {
            return packets;
        }
    }

    /** One readiness request: when it was sent, and the HTTP status, or {@link #REFUSED} / {@link #FAILED}. */
    public record Poll(long sentAt, int status) {
    }

    public static final int REFUSED = -1;
    public static final int FAILED = -2;

    private final List<Watched> clients;
    private final List<Poll> polls = new CopyOnWriteArrayList<>();
    private final Thread poller;
    private volatile boolean polling = true;

    private DrainObserver(List<Watched> clients, InetSocketAddress management) {
        this.clients = clients;
        this.poller = new Thread(() -> pollReadiness(management), "readiness-poller");
        poller.setDaemon(true);
    }

    /** Connects {@code count} clients to {@code derpUrl} (a few at a time) and watches readiness on {@code management}. */
    public static DrainObserver connect(URI derpUrl, int count, InetSocketAddress management) throws Exception {
        List<Watched> clients = new ArrayList<>();
        for (int i = 0; i < count; i += 10) {
            List<CompletableFuture<DerpClient>> batch = new ArrayList<>();
            for (int j = i; j < Math.min(count, i + 10); j++) {
                Watched w = new Watched();
                clients.add(w);
                batch.add(DerpClient.connect(derpUrl, NodePrivateKey.generate(), DerpClientOptions.defaults(), w)
                        .thenApply(c -> w.client = c));
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        return new DrainObserver(List.copyOf(clients), management);
    }

    public List<Watched> clients() {
        return clients;
    }

    /** Starts polling readiness; call before the shutdown begins. */
    public void startPolling() {
        poller.start();
    }

    public List<Poll> polls() {
        return List.copyOf(polls);
    }

    /** Waits until every client has seen its connection close. */
    public void awaitAllClosed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (clients.stream().anyMatch(c -> c.closedAt == 0)) {
            if (System.nanoTime() > deadline) {
                long open = clients.stream().filter(c -> c.closedAt == 0).count();
                throw new AssertionError(open + " of " + clients.size() + " connections still open after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    public long firstClose() {
        return clients.stream().mapToLong(c -> c.closedAt).min().orElseThrow();
    }

    public long lastClose() {
        return clients.stream().mapToLong(c -> c.closedAt).max().orElseThrow();
    }

    public long firstRestarting() {
        return clients.stream().mapToLong(c -> c.restartingAt).min().orElseThrow();
    }

    /** Closes per tenth of {@code period}, counted from the first close; closes later than the period add slices. */
    public int[] closesPerTenth(Duration period) {
        long origin = firstClose();
        long slice = Math.max(1, period.toNanos() / 10);
        long last = lastClose();
        int[] counts = new int[(int) Math.max(10, (last - origin) / slice + 1)];
        for (Watched c : clients) {
            counts[(int) ((c.closedAt - origin) / slice)]++;
        }
        return counts;
    }

    /** What {@link #assertSpread} checks, for reports: span and the largest share of closes in one tenth. */
    public String describe(Duration period) {
        int[] tenths = closesPerTenth(period);
        int max = java.util.Arrays.stream(tenths).max().orElse(0);
        return String.format("%d closes over %d ms (drain period %d ms), largest tenth %d (%.0f%%), per tenth %s",
                clients.size(), TimeUnit.NANOSECONDS.toMillis(lastClose() - firstClose()), period.toMillis(), max,
                100.0 * max / clients.size(), java.util.Arrays.toString(tenths));
    }

    /**
     * Every client got Restarting before its connection closed, the closes span at least 60 % of the drain period,
     * and no tenth of the period holds more than a quarter of them.
     */
    public void assertSpread(Duration period) {
        for (Watched c : clients) {
            assertThat(c.restartingAt).as("Restarting received").isNotZero();
            assertThat(c.closedAt).as("closed").isNotZero();
            assertThat(c.restartingAt).as("Restarting before the close").isLessThanOrEqualTo(c.closedAt);
        }
        String shape = describe(period);
        assertThat(lastClose() - firstClose()).as(shape).isGreaterThanOrEqualTo(period.toNanos() * 6 / 10);
        for (int n : closesPerTenth(period)) {
            assertThat(n).as(shape).isLessThanOrEqualTo(clients.size() / 4);
        }
    }

    /**
     * Readiness answered 503 to every request sent from {@code from} up to the last close (never 200, never a
     * refused connection), and was asked often enough to tell: a request went out in the last two seconds before
     * the last close, and none of the gaps between requests in that time exceeds two seconds.
     */
    public void assertReadiness503UntilLastClose(long from) {
        long last = lastClose();
        List<Poll> during = polls().stream().filter(p -> p.sentAt >= from && p.sentAt <= last).toList();
        assertThat(during).as("readiness requests during the drain").isNotEmpty();
        for (Poll p : during) {
            assertThat(p.status).as("readiness %d ms after the shutdown began (%d ms before the last close)",
                    TimeUnit.NANOSECONDS.toMillis(p.sentAt - from), TimeUnit.NANOSECONDS.toMillis(last - p.sentAt))
                    .isEqualTo(503);
        }
        assertThat(last - during.get(during.size() - 1).sentAt).as("last readiness request before the last close")
                .isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(2));
        for (int i = 1; i < during.size(); i++) {
            assertThat(during.get(i).sentAt - during.get(i - 1).sentAt).as("gap between readiness requests")
                    .isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(2));
        }
    }

    private void pollReadiness(InetSocketAddress management) {
        while (polling) {
            long sentAt = System.nanoTime();
            int status = readinessStatus(management);
            polls.add(new Poll(sentAt, status));
            if (status == REFUSED && polls.size() > 1 && polls.get(polls.size() - 2).status == REFUSED) {
                return;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One request on a fresh connection, so a closed management port shows as refused rather than as a stale reuse. */
    public static int readinessStatus(InetSocketAddress management) {
        try (Socket s = new Socket()) {
            s.connect(management, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET /actuator/health/readiness HTTP/1.1\r\nHost: "
                    + management.getHostString() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            String line = new String(head, StandardCharsets.US_ASCII);
            return line.startsWith("HTTP/1.1 ") ? Integer.parseInt(line.substring(9, 12)) : FAILED;
        } catch (ConnectException e) {
            return REFUSED;
        } catch (IOException | NumberFormatException e) {
            return FAILED;
        }
    }

    @Override
    public void close() {
        polling = false;
        poller.interrupt();
        for (Watched c : clients) {
            if (c.client != null) {
                c.client.close();
            }
        }
    }
}
