package io.jderper.mesh;

import io.jderper.testsupport.DrainObserver;
import io.jderper.testsupport.TestClient;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A meshed node drains like a lone one, and its mesh links — its own to the sibling and the sibling's into it — stay
 * up until its last client has closed, so a client on the sibling still reaches the clients not yet moved away.
 */
class MeshDrainTest {
    private static final Logger log = LoggerFactory.getLogger(MeshDrainTest.class);
    private static final int CLIENTS = 30;
    private static final Duration DRAIN = Duration.ofSeconds(6);

    @Test
    void linksOutlastTheDrainAndCarryTrafficDuringIt() throws Exception {
        int port = MeshNode.freePortOnAll("127.0.0.1", "127.0.0.2");
        List<String> common = List.of("--derper.mesh.key=" + MeshNode.MESH_KEY,
                "--derper.mesh.with=127.0.0.1:" + port + ",127.0.0.2:" + port);
        List<String> drainingArgs = new ArrayList<>(common);
        drainingArgs.add("--derper.relay.drain-period=" + DRAIN.toMillis() + "ms");
        try (MeshNode a = MeshNode.start("127.0.0.1", "127.0.0.1", port, drainingArgs);
             MeshNode b = MeshNode.start("node-b", "127.0.0.2", port, common)) {
            await(Duration.ofSeconds(20), () -> a.mesh().linksUp() == 1 && b.mesh().linksUp() == 1, "both links up");
            RegionMesh aMesh = a.mesh();
            RegionMesh bMesh = b.mesh();
            try (DrainObserver drain = DrainObserver.connect(a.derpUrl(), CLIENTS,
                    new InetSocketAddress(a.address, a.managementPort()));
                 TestClient onB = TestClient.connect(b.derpUrl())) {
                for (DrainObserver.Watched w : drain.clients()) {
                    await(Duration.ofSeconds(10), () -> b.server().registry().isKnown(w.client().publicKey()),
                            "B knows A's clients");
                }
                AtomicLong aLinkDownAt = new AtomicLong();
                AtomicLong bLinkDownAt = new AtomicLong();
                Thread links = new Thread(() -> {
                    while (aLinkDownAt.get() == 0 || bLinkDownAt.get() == 0) {
                        if (aMesh.linksUp() == 0) {
                            aLinkDownAt.compareAndSet(0, System.nanoTime());
                        }
                        if (bMesh.linksUp() == 0) {
                            bLinkDownAt.compareAndSet(0, System.nanoTime());
                        }
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "link-watch");
                links.setDaemon(true);
                links.start();
                drain.startPolling();

                long began = System.nanoTime();
                CompletableFuture<Void> closing = CompletableFuture.runAsync(a::stop);

                // Halfway through the drain, a client on B sends to every client of A that is still connected.
                await(DRAIN.plusSeconds(30), () -> drain.clients().stream().filter(w -> w.closedAt() != 0).count() >= CLIENTS / 2,
                        "half of A's clients closed");
                long sentAt = System.nanoTime();
                List<DrainObserver.Watched> addressed = new ArrayList<>();
                for (DrainObserver.Watched w : drain.clients()) {
                    if (w.closedAt() == 0) {
                        addressed.add(w);
                        onB.client.send(w.client().publicKey(), new byte[]{42});
                    }
                }

                drain.awaitAllClosed(DRAIN.plusSeconds(30));
                closing.get(60, TimeUnit.SECONDS);
                log.info("meshed drain: {}", drain.describe(DRAIN));

                drain.assertSpread(DRAIN);
                drain.assertReadiness503UntilLastClose(began + TimeUnit.MILLISECONDS.toNanos(100));
                List<DrainObserver.Watched> stillThereASecondLater = addressed.stream()
                        .filter(w -> w.closedAt() - sentAt > TimeUnit.SECONDS.toNanos(1)).toList();
                assertThat(stillThereASecondLater).as("clients connected a second after the send").isNotEmpty();
                assertThat(stillThereASecondLater).as("packets from B across the mesh during the drain")
                        .allMatch(w -> w.packets().size() == 1 && w.packets().get(0)[0] == 42);

                await(Duration.ofSeconds(15), () -> aLinkDownAt.get() != 0 && bLinkDownAt.get() != 0, "both links closed");
                assertThat(aLinkDownAt.get()).as("A's link to B closes after A's last client")
                        .isGreaterThanOrEqualTo(drain.lastClose());
                assertThat(bLinkDownAt.get()).as("B's link into A closes after A's last client")
                        .isGreaterThanOrEqualTo(drain.lastClose());
            }
        }
    }
}
