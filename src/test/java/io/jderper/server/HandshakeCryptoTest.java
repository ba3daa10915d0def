package io.jderper.server;

import io.jderper.key.NaclBox;
import io.jderper.key.NodePrivateKey;
import io.netty.channel.DefaultEventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The ClientInfo key exchange off the event loops: results come back on the connection's loop, bounded by a queue. */
class HandshakeCryptoTest {
    private static final NodePrivateKey SERVER = NodePrivateKey.generate();
    private static final NodePrivateKey CLIENT = NodePrivateKey.generate();
    private static final byte[] PLAINTEXT = "{\"version\":2}".getBytes(StandardCharsets.UTF_8);

    private final CountDownLatch workersMayPost = new CountDownLatch(1);
    /** A loop that holds the crypto workers at the hand-back until the test lets them go. */
    private final DefaultEventLoop loop = new DefaultEventLoop() {
        @Override
        public void execute(Runnable task) {
            if (Thread.currentThread().getName().startsWith("derp-handshake")) {
                try {
                    workersMayPost.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            super.execute(task);
        }
    };

    @AfterEach
    void stopLoop() {
        workersMayPost.countDown();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private static byte[] sealedByClient() {
        return sealedBy(CLIENT);
    }

    private static byte[] sealedBy(NodePrivateKey client) {
        return NaclBox.between(client, SERVER.publicKey()).seal(PLAINTEXT);
    }

    private record Result(HandshakeCrypto.Opened opened, boolean onLoop, String thread) {
    }

    private CompletableFuture<Result> open(HandshakeCrypto crypto, byte[] sealed) {
        return open(crypto, CLIENT, sealed);
    }

    private CompletableFuture<Result> open(HandshakeCrypto crypto, NodePrivateKey client, byte[] sealed) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        crypto.open(SERVER, client.publicKey(), sealed, loop.next(),
                o -> result.complete(new Result(o, loop.inEventLoop(), Thread.currentThread().getName())));
        return result;
    }

    @Test
    void aBoxOpensOffTheLoopAndTheResultComesBackOnIt() throws Exception {
        workersMayPost.countDown();
        Result r = open(HandshakeCrypto.pooled(1), sealedByClient()).get(10, TimeUnit.SECONDS);
        assertThat(r.opened().ok()).isTrue();
        assertThat(r.opened().plaintext()).isEqualTo(PLAINTEXT);
        assertThat(r.onLoop()).isTrue();
        // The box is kept for sealing ServerInfo: the client can open what it seals.
        byte[] reply = r.opened().box().seal(PLAINTEXT);
        assertThat(NaclBox.between(CLIENT, SERVER.publicKey()).open(reply)).contains(PLAINTEXT);
    }

    @Test
    void aTamperedBoxIsReportedNotThrown() throws Exception {
        workersMayPost.countDown();
        byte[] sealed = sealedByClient();
        sealed[sealed.length - 1] ^= 1;
        Result r = open(HandshakeCrypto.pooled(1), sealed).get(10, TimeUnit.SECONDS);
        assertThat(r.opened().ok()).isFalse();
        assertThat(r.onLoop()).isTrue();
    }

    @Test
    void aFullQueueMakesTheCallerDoTheWorkInsteadOfGrowing() throws Exception {
        HandshakeCrypto crypto = HandshakeCrypto.pooled(1, 1);
        // Three clients: one client's second handshake would reuse its kept box instead of queueing.
        NodePrivateKey a = NodePrivateKey.generate();
        NodePrivateKey b = NodePrivateKey.generate();
        NodePrivateKey c = NodePrivateKey.generate();
        CompletableFuture<Result> first = open(crypto, a, sealedBy(a));   // the worker, held at the hand-back
        Thread.sleep(200); // let the worker take it, so the next one waits in the queue
        CompletableFuture<Result> second = open(crypto, b, sealedBy(b));  // the queue's only slot
        CompletableFuture<Result> third = open(crypto, c, sealedBy(c));   // nowhere to go: runs right here

        assertThat(third).isDone();
        assertThat(third.get().thread()).isEqualTo(Thread.currentThread().getName());
        assertThat(third.get().opened().ok()).isTrue();
        assertThat(crypto.ranOnLoop()).isEqualTo(1);
        assertThat(first).isNotDone();

        workersMayPost.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).onLoop()).isTrue();
        assertThat(second.get(10, TimeUnit.SECONDS).onLoop()).isTrue();
    }

    @Test
    void aReconnectingKeyCostsOneKeyExchangeAndOpensOnTheCallingLoop() throws Exception {
        workersMayPost.countDown();
        HandshakeCrypto crypto = HandshakeCrypto.pooled(1);
        Result first = open(crypto, sealedByClient()).get(10, TimeUnit.SECONDS);
        CompletableFuture<Result> again = open(crypto, sealedByClient());

        assertThat(again).isDone();
        assertThat(again.get().thread()).isEqualTo(Thread.currentThread().getName());
        assertThat(again.get().opened().plaintext()).isEqualTo(PLAINTEXT);
        assertThat(first.opened().plaintext()).isEqualTo(PLAINTEXT);
        assertThat(crypto.keyExchanges()).isEqualTo(1);
        // The kept box seals what the client opens, as a fresh one would.
        byte[] reply = again.get().opened().box().seal(PLAINTEXT);
        assertThat(NaclBox.between(CLIENT, SERVER.publicKey()).open(reply)).contains(PLAINTEXT);
    }

    @Test
    void aKeptBoxStillRejectsATamperedClientInfo() throws Exception {
        workersMayPost.countDown();
        HandshakeCrypto crypto = HandshakeCrypto.pooled(1);
        assertThat(open(crypto, sealedByClient()).get(10, TimeUnit.SECONDS).opened().ok()).isTrue();
        byte[] tampered = sealedByClient();
        tampered[tampered.length - 1] ^= 1;
        Result r = open(crypto, tampered).get(10, TimeUnit.SECONDS);
        assertThat(r.opened().ok()).isFalse();
        assertThat(crypto.keyExchanges()).isEqualTo(1);
    }

    @Test
    void aBoxThatDidNotOpenIsNotKept() throws Exception {
        workersMayPost.countDown();
        HandshakeCrypto crypto = HandshakeCrypto.pooled(1);
        byte[] tampered = sealedByClient();
        tampered[tampered.length - 1] ^= 1;
        assertThat(open(crypto, tampered).get(10, TimeUnit.SECONDS).opened().ok()).isFalse();
        Result r = open(crypto, sealedByClient()).get(10, TimeUnit.SECONDS);
        assertThat(r.opened().ok()).isTrue();
        assertThat(r.onLoop()).isTrue();
        assertThat(crypto.keyExchanges()).isEqualTo(2);
    }

    @Test
    void aKeptBoxBelongsToTheServerKeyItWasMadeWith() throws Exception {
        workersMayPost.countDown();
        HandshakeCrypto crypto = HandshakeCrypto.onCallingThread();
        NodePrivateKey otherServer = NodePrivateKey.generate();
        AtomicResult holder = new AtomicResult();
        crypto.open(SERVER, CLIENT.publicKey(), sealedByClient(), loop.next(), o -> holder.opened = o);
        assertThat(holder.opened.ok()).isTrue();
        byte[] toOther = NaclBox.between(CLIENT, otherServer.publicKey()).seal(PLAINTEXT);
        crypto.open(otherServer, CLIENT.publicKey(), toOther, loop.next(), o -> holder.opened = o);
        assertThat(holder.opened.plaintext()).isEqualTo(PLAINTEXT);
        assertThat(crypto.keyExchanges()).isEqualTo(2);
    }

    @Test
    void finishedHandshakesReachTheLoopInBatchesWithItsOtherWorkBetween() throws Exception {
        DefaultEventLoop plain = new DefaultEventLoop();
        try {
            CountDownLatch release = new CountDownLatch(1);
            plain.execute(() -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            HandshakeCrypto.Handoff handoff = new HandshakeCrypto.Handoff(plain);
            int n = 2 * HandshakeCrypto.HANDOFF_BATCH + 3;
            java.util.List<Integer> order = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                handoff.post(() -> order.add(id));
            }
            // Other work of the loop (a socket's read, say), queued after the results.
            CompletableFuture<Integer> seenByOtherWork = new CompletableFuture<>();
            plain.execute(() -> seenByOtherWork.complete(order.size()));
            release.countDown();

            assertThat(seenByOtherWork.get(10, TimeUnit.SECONDS)).isEqualTo(HandshakeCrypto.HANDOFF_BATCH);
            CompletableFuture<Void> drained = new CompletableFuture<>();
            for (int i = 0; i < 100 && order.size() < n; i++) {
                Thread.sleep(10);
            }
            assertThat(order).hasSize(n);
            for (int i = 0; i < n; i++) {
                assertThat(order.get(i)).isEqualTo(i);
            }
            // Idle again: a later result is delivered by a fresh wake-up.
            handoff.post(() -> drained.complete(null));
            drained.get(10, TimeUnit.SECONDS);
        } finally {
            plain.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void onCallingThreadIsSynchronous() {
        AtomicResult holder = new AtomicResult();
        HandshakeCrypto.onCallingThread().open(SERVER, CLIENT.publicKey(), sealedByClient(), loop.next(), o -> holder.opened = o);
        assertThat(holder.opened).isNotNull();
        assertThat(holder.opened.ok()).isTrue();
    }

    private static final class AtomicResult {
        HandshakeCrypto.Opened opened;
    }
}
