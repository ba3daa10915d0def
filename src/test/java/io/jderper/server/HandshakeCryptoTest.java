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
        return NaclBox.between(CLIENT, SERVER.publicKey()).seal(PLAINTEXT);
    }

    private record Result(HandshakeCrypto.Opened opened, boolean onLoop, String thread) {
    }

    private CompletableFuture<Result> open(HandshakeCrypto crypto, byte[] sealed) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        crypto.open(SERVER, CLIENT.publicKey(), sealed, loop.next(),
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
        CompletableFuture<Result> first = open(crypto, sealedByClient());   // the worker, held at the hand-back
        Thread.sleep(200); // let the worker take it, so the next one waits in the queue
        CompletableFuture<Result> second = open(crypto, sealedByClient());  // the queue's only slot
        CompletableFuture<Result> third = open(crypto, sealedByClient());   // nowhere to go: runs right here

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
