package io.jderper.mesh;

import io.jderper.testsupport.TestClient;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static io.jderper.mesh.MeshNode.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sibling that stops reading: forwarding towards it must neither block the sender nor buffer without bound. Packets
 * beyond the link's bound are dropped and counted, and a link that cannot write for 5 s is closed and rebuilt, as the
 * original closes a link whose forward write stalls for 5 s.
 */
class MeshStallTest {

    @Test
    void stalledLinkDropsBeyondItsBoundThenClosesAndRecovers() throws Exception {
        MeshNode sibling = MeshNode.start("sibling", "127.0.0.1", MeshNode.freePortOnAll("127.0.0.1"),
                List.of("--derper.mesh.key=" + MeshNode.MESH_KEY));
        int frontPort = MeshNode.freePortOnAll("127.0.0.2");
        try (sibling;
             FrontProxy front = FrontProxy.start(new InetSocketAddress("127.0.0.2", frontPort), null,
                     new InetSocketAddress("127.0.0.1", sibling.port));
             MeshNode node = MeshNode.start("node", "127.0.0.3", MeshNode.freePortOnAll("127.0.0.3"), List.of(
                     "--derper.mesh.key=" + MeshNode.MESH_KEY, "--derper.mesh.with=127.0.0.2:" + frontPort));
             TestClient x = TestClient.connect(node.derpUrl());
             TestClient y = TestClient.connect(sibling.derpUrl())) {
            await(Duration.ofSeconds(15), () -> node.server().registry().isKnown(y.publicKey()), "node learned y");
            MeshMetrics m = node.meshMetrics();

            front.freeze(true);
            long started = System.nanoTime();
            int sent = 0;
            while (m.droppedBackpressure() == 0 && System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
                for (int i = 0; i < 16; i++) {
                    x.client.send(y.publicKey(), Unpooled.wrappedBuffer(new byte[60_000]), false);
                    sent++;
                }
                x.client.flush();
                Thread.sleep(5);
            }
            long firstDrop = System.nanoTime();
            System.out.printf("mesh stall: %d packets of 60000 bytes sent, backpressure drops began after %d ms%n",
                    sent, (firstDrop - started) / 1_000_000);
            assertThat(m.droppedBackpressure()).as("drops once the link's bound is reached").isPositive();
            assertThat(x.client.isOpen()).as("the sender is never blocked or cut off").isTrue();

            await(Duration.ofSeconds(10), () -> m.stalls.sum() == 1, "the stalled link is closed");
            long closedAfter = (System.nanoTime() - firstDrop) / 1_000_000;
            System.out.printf("mesh stall: link closed %d ms after the first drop%n", closedAfter);
            await(Duration.ofSeconds(2), () -> !node.server().registry().isKnown(y.publicKey()), "y withdrawn with the link");

            front.freeze(false);
            await(Duration.ofSeconds(15), () -> node.server().registry().isKnown(y.publicKey()), "node re-learned y");
            x.client.send(y.publicKey(), new byte[]{1});
            y.await(TestClient.Packet.class, p -> p.data().length == 1, Duration.ofSeconds(5));
        }
    }
}
