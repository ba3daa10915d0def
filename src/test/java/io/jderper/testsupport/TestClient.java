package io.jderper.testsupport;

import io.jderper.client.DerpClient;
import io.jderper.client.DerpClientOptions;
import io.jderper.client.FrameListener;
import io.jderper.key.NodePrivateKey;
import io.jderper.key.NodePublicKey;
import io.jderper.protocol.Frame;
import io.netty.buffer.ByteBufUtil;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A DERP client for tests: received frames are copied into a queue (packets as byte arrays). */
public final class TestClient implements FrameListener, AutoCloseable {
    /** A received RecvPacket, copied out of its buffer. */
    public record Packet(NodePublicKey source, byte[] data) {
    }

    public final NodePrivateKey key;
    public final DerpClient client;
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();

    private TestClient(NodePrivateKey key, URI url, DerpClientOptions options) throws Exception {
        this.key = key;
        this.client = DerpClient.connect(url, key, options, this).get(10, TimeUnit.SECONDS);
    }

    public static TestClient connect(URI url) throws Exception {
        return new TestClient(NodePrivateKey.generate(), url, DerpClientOptions.defaults());
    }

    public static TestClient connect(URI url, DerpClientOptions options) throws Exception {
        return new TestClient(NodePrivateKey.generate(), url, options);
    }

    public static TestClient connect(URI url, NodePrivateKey key, DerpClientOptions options) throws Exception {
        return new TestClient(key, url, options);
    }

    public NodePublicKey publicKey() {
        return key.publicKey();
    }

    @Override
    public void onFrame(DerpClient c, Frame frame) {
        if (frame instanceof Frame.RecvPacket p) {
            received.add(new Packet(p.source(), ByteBufUtil.getBytes(p.packet())));
        } else {
            received.add(frame);
        }
    }

    /** The next frame that is not a KeepAlive, or null on timeout. */
    public Object next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object o = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!(o instanceof Frame.KeepAlive)) {
                return o;
            }
        }
    }

    public Object next() throws InterruptedException {
        return next(Duration.ofSeconds(5));
    }

    public Packet nextPacket() throws InterruptedException {
        Object o = next();
        if (!(o instanceof Packet p)) {
            throw new AssertionError("expected a packet, got " + o);
        }
        return p;
    }

    /** Waits for the first frame matching {@code match}, skipping others (KeepAlives included). */
    @SuppressWarnings("unchecked")
    public <T> T await(Class<T> type, Predicate<T> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Object o = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (type.isInstance(o) && match.test((T) o)) {
                return (T) o;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " matching within " + timeout);
    }

    /** True when nothing but KeepAlives arrives within {@code quiet}. */
    public boolean silentFor(Duration quiet) throws InterruptedException {
        return next(quiet) == null;
    }

    public boolean awaitClosed(Duration timeout) throws Exception {
        try {
            client.closeFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() {
        client.close().syncUninterruptibly();
    }
}
