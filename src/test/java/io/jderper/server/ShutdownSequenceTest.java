package io.jderper.server;

import io.jderper.config.RelayProperties;
import io.jderper.key.NodePrivateKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The sequence on its own: its order, the readiness grace, its deadline, and parts that fail. */
class ShutdownSequenceTest {

    private static RelayProperties relay(String grace, String drain) {
        return new Binder(new MapConfigurationPropertySource(Map.of(
                "derper.relay.readiness-grace", grace, "derper.relay.drain-period", drain)))
                .bindOrCreate("derper.relay", RelayProperties.class);
    }

    private static DerpServer server(RelayProperties relay) {
        DerpServer server = new DerpServer(new ServerIdentity(NodePrivateKey.generate()), relay, Optional.empty(),
                ClientAdmission.ALLOW_ALL, new DerpMetrics(), new SimpleMeterRegistry(), HandshakeCrypto.onCallingThread());
        server.start();
        return server;
    }

    /** Notes what it is told, in one shared list, and when. */
    private record Recorder(String name, List<String> events, CompletableFuture<Void> drainedResult,
                            boolean failOnBegin) implements ShutdownParticipant {
        @Override
        public void shutdownBegins() {
            events.add(name + " begins");
            if (failOnBegin) {
                throw new IllegalStateException("cannot stop " + name);
            }
        }

        @Override
        public CompletableFuture<Void> relayDrained() {
            events.add(name + " drained");
            return drainedResult;
        }

        @Override
        public void restarted() {
            events.add(name + " restarted");
        }
    }

    @Test
    void stepsRunInOrderWithTheGraceBetweenAndTheCallbackComesLast() throws Exception {
        RelayProperties props = relay("400ms", "0s");
        DerpServer server = server(props);
        List<String> events = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> meshClosed = new CompletableFuture<>();
        ShutdownSequence sequence = new ShutdownSequence(server, props, List.of(
                new Recorder("readiness", events, CompletableFuture.completedFuture(null), true),
                new Recorder("mesh", events, meshClosed, false)));
        sequence.start();

        long began = System.nanoTime();
        CountDownLatch calledBack = new CountDownLatch(1);
        sequence.stop(calledBack::countDown);
        assertThat(sequence.isRunning()).isFalse();
        // A part that fails to stop keeps neither the others nor the drain from running.
        awaitEvents(events, 4);
        long drainedAt = System.nanoTime();
        assertThat(events).containsExactly("readiness begins", "mesh begins", "readiness drained", "mesh drained");
        assertThat(drainedAt - began).as("the relay waited out the grace").isGreaterThanOrEqualTo(Duration.ofMillis(400).toNanos());
        assertThat(server.acceptingConnections()).isFalse();

        // Spring hears back only once the last step (here the mesh) is done.
        assertThat(calledBack.await(300, TimeUnit.MILLISECONDS)).isFalse();
        meshClosed.complete(null);
        assertThat(calledBack.await(5, TimeUnit.SECONDS)).isTrue();

        sequence.start();
        assertThat(events).endsWith("readiness restarted", "mesh restarted");
    }

    @Test
    void aStepThatNeverEndsHoldsTheShutdownOnlyUntilTheDeadline() throws Exception {
        RelayProperties props = relay("0s", "0s");
        Duration margin = Duration.ofMillis(600);
        ShutdownSequence sequence = new ShutdownSequence(server(props), props,
                List.of(new Recorder("stuck", new CopyOnWriteArrayList<>(), new CompletableFuture<>(), false)), margin);
        sequence.start();
        long began = System.nanoTime();
        CountDownLatch calledBack = new CountDownLatch(1);
        sequence.stop(calledBack::countDown);
        assertThat(calledBack.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - began).isGreaterThanOrEqualTo(margin.toNanos());
    }

    @Test
    void springWaitsLongerForTheSequenceThanTheSequenceItself() {
        RelayProperties props = relay("5s", "10s");
        assertThat(ShutdownSequence.budget(props)).isEqualTo(Duration.ofSeconds(25));
        assertThat(ShutdownSequence.springPhaseTimeout(props)).isGreaterThan(ShutdownSequence.budget(props));
    }

    private static void awaitEvents(List<String> events, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (events.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
