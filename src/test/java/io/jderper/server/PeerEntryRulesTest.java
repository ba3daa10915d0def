package io.jderper.server;

import io.jderper.key.NodePublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One key's entry on its own, without channels doing anything: which local connection is active as duplicates come,
 * speak and go (C-53 to C-55), how long the fall-back history gets, and which mesh forwarder is preferred with the
 * counters that follow forwarders coming and going.
 */
class PeerEntryRulesTest {
    private final DerpMetrics metrics = new DerpMetrics();
    private final RelayContext relay = RelayFixtures.relayContext(new ClientRegistry(metrics), metrics);
    private final NodePublicKey key = RelayFixtures.randomKey();
    private final PeerEntry entry = new PeerEntry(key);
    private final List<ChannelHandlerContext> contexts = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        for (ChannelHandlerContext ctx : contexts) {
            ctx.channel().close();
        }
    }

    private ClientConnection connection() {
        ChannelHandlerContext ctx = RelayFixtures.idleContext();
        contexts.add(ctx);
        return new ClientConnection(relay, ctx, key, RelayFixtures.REMOTE, false, false, false);
    }

    private ClientConnection added() {
        ClientConnection c = connection();
        entry.add(c, metrics);
        return c;
    }

    /** The fall-back history's length: the bound it keeps is the point of the test, and nothing else shows it. */
    private int historySize() {
        try {
            Field f = PeerEntry.class.getDeclaredField("history");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            List<ClientConnection> history = (List<ClientConnection>) f.get(entry);
            synchronized (entry) {
                return history == null ? 0 : history.size();
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- duplicate connections

    @Test
    void closingADuplicateThatIsNotActiveLeavesTheActiveOneInPlace() {
        ClientConnection a = added();
        ClientConnection b = added();
        ClientConnection c = added();
        assertThat(entry.active).as("the newest is active (C-53)").isSameAs(c);

        assertThat(entry.remove(a, metrics)).as("not the last connection").isFalse();
        assertThat(entry.active).isSameAs(c);
        assertThat(metrics.currentDupClientKeys.get()).isEqualTo(1);
        assertThat(metrics.currentDupClientConns.get()).isEqualTo(2);
        assertThat(b.duplicate).isTrue();
        assertThat(c.duplicate).isTrue();

        assertThat(entry.remove(b, metrics)).isFalse();
        assertThat(entry.active).isSameAs(c);
        assertThat(c.duplicate).as("alone again, no longer a duplicate").isFalse();
        assertThat(metrics.currentDupClientKeys.get()).isZero();
        assertThat(metrics.currentDupClientConns.get()).isZero();
        assertThat(entry.connections()).containsExactly(c);
    }

    @Test
    void closingAnInactiveDuplicateKeepsTheOneThatLastSpoke() {
        ClientConnection a = added();
        ClientConnection b = added();
        ClientConnection c = added();
        entry.noteActivity(a); // C-54: the last writer becomes active
        assertThat(entry.active).isSameAs(a);

        entry.remove(b, metrics);
        assertThat(entry.active).isSameAs(a);
        entry.remove(c, metrics);
        assertThat(entry.active).isSameAs(a);
        assertThat(a.duplicate).isFalse();
    }

    @Test
    void closingTheActiveDuplicateFallsBackToTheMostRecentlyActiveSurvivor() {
        ClientConnection a = added();
        ClientConnection b = added();
        ClientConnection c = added();
        ClientConnection d = added();
        entry.noteActivity(b);
        entry.noteActivity(a);
        entry.noteActivity(c);
        entry.noteActivity(a);

        entry.remove(a, metrics); // C-55: active gone, the latest of the others (c) takes over
        assertThat(entry.active).isSameAs(c);
        entry.remove(c, metrics); // then b, which spoke after d registered (a registration counts as activity)
        assertThat(entry.active).isSameAs(b);
        entry.remove(b, metrics);
        assertThat(entry.active).isSameAs(d);
        assertThat(d.duplicate).isFalse();
    }

    @Test
    void theSecondConnectionIsNotInTheHistoryUntilItSpeaks() {
        // Registering the second connection makes it active without logging it: only the first is there to fall back
        // to, as in the original. A third connection is logged, so closing it falls back past the silent second one.
        ClientConnection a = added();
        ClientConnection b = added();
        ClientConnection c = added();
        assertThat(historySize()).isEqualTo(2);
        entry.remove(c, metrics);
        assertThat(entry.active).isSameAs(a);
        assertThat(b.duplicate).isTrue();
    }

    @Test
    void theHistoryHoldsOneEntryPerConnectionHoweverLongTwoDuplicatesAlternate() {
        ClientConnection a = added();
        ClientConnection b = added();
        ClientConnection c = added();
        for (int i = 0; i < 10_000; i++) {
            entry.noteActivity(a);
            entry.noteActivity(b);
        }
        assertThat(historySize()).isEqualTo(3);
        entry.noteActivity(b); // already the latest: nothing changes
        assertThat(historySize()).isEqualTo(3);
        assertThat(entry.active).isSameAs(b);

        entry.remove(b, metrics);
        assertThat(entry.active).as("a spoke just before b").isSameAs(a);
        assertThat(historySize()).isEqualTo(2);
        entry.remove(a, metrics);
        assertThat(entry.active).isSameAs(c);
        assertThat(historySize()).as("no history once alone").isZero();
    }

    @Test
    void activityOnASingleConnectionOrOneAlreadyGoneChangesNothing() {
        ClientConnection a = added();
        entry.noteActivity(a);
        assertThat(historySize()).isZero();
        ClientConnection b = added();
        ClientConnection c = added();
        entry.remove(a, metrics);
        entry.noteActivity(a); // a late frame of a closed connection
        assertThat(entry.active).isSameAs(c);
        assertThat(entry.connections()).containsExactly(b, c);
    }

    @Test
    void totalDupClientConnsCountsEveryConnectionThatJoinedADuplicateAndNeverGoesDown() {
        ClientConnection a = added();
        assertThat(metrics.totalDupClientConns.sum()).isZero();
        ClientConnection b = added();
        assertThat(metrics.totalDupClientConns.sum()).as("C-53: +1 for the second connection").isEqualTo(1);
        ClientConnection c = added();
        assertThat(metrics.totalDupClientConns.sum()).isEqualTo(2);
        assertThat(metrics.currentDupClientConns.get()).isEqualTo(3);

        entry.remove(c, metrics);
        entry.remove(b, metrics);
        assertThat(metrics.totalDupClientConns.sum()).as("a counter: closes do not lower it").isEqualTo(2);
        assertThat(metrics.currentDupClientKeys.get()).isZero();
        assertThat(metrics.currentDupClientConns.get()).isZero();

        added();
        assertThat(metrics.totalDupClientConns.sum()).as("duplicated again").isEqualTo(3);
        assertThat(metrics.currentDupClientKeys.get()).isEqualTo(1);
        assertThat(metrics.currentDupClientConns.get()).isEqualTo(2);
        assertThat(a.duplicate).isTrue();
    }

    @Test
    void removingTheLastConnectionOrAStrangerReportsWhatHappened() {
        ClientConnection a = added();
        ClientConnection stranger = connection();
        assertThat(entry.remove(stranger, metrics)).isFalse();
        assertThat(entry.active).isSameAs(a);
        assertThat(entry.remove(a, metrics)).as("the last local connection").isTrue();
        assertThat(entry.active).isNull();
        assertThat(entry.hasLocal()).isFalse();
        assertThat(entry.remove(a, metrics)).as("already gone").isFalse();
        assertThat(metrics.totalDupClientConns.sum()).isZero();
    }

    // ---------------------------------------------------------------- mesh forwarders

    /** Identity equality, as the real forwarders (one per mesh link) have. */
    private static final class Link implements PacketForwarder {
        private final String name;

        Link(String name) {
            this.name = name;
        }

        @Override
        public void forward(NodePublicKey src, ByteBuf sendPacketFrame) {
            sendPacketFrame.release();
        }

        @Override
        public String describe() {
            return name;
        }
    }

    @Test
    void theEarliestRegisteredForwarderIsPreferredWhileItLasts() {
        Link x = new Link("x");
        Link y = new Link("y");
        Link z = new Link("z");
        assertThat(entry.addForwarder(x, metrics)).isTrue();
        assertThat(entry.forwarder).isSameAs(x);
        assertThat(entry.addForwarder(y, metrics)).isTrue();
        assertThat(entry.addForwarder(z, metrics)).isTrue();
        assertThat(entry.forwarder).as("a later link does not take over").isSameAs(x);

        entry.removeForwarder(x, metrics);
        assertThat(entry.forwarder).as("the next oldest").isSameAs(y);
        entry.addForwarder(x, metrics); // re-registered: now the newest
        assertThat(entry.forwarder).isSameAs(y);
        entry.removeForwarder(y, metrics);
        assertThat(entry.forwarder).isSameAs(z);
        entry.removeForwarder(z, metrics);
        assertThat(entry.forwarder).isSameAs(x);
        entry.removeForwarder(x, metrics);
        assertThat(entry.forwarder).isNull();
        assertThat(entry.hasForwarders()).isFalse();
        assertThat(entry.isEmpty()).isTrue();
    }

    @Test
    void registeringTheSameForwarderTwiceIsIgnored() {
        Link x = new Link("x");
        entry.addForwarder(x, metrics);
        assertThat(entry.addForwarder(x, metrics)).isFalse();
        assertThat(metrics.multiForwarderCreated.sum()).isZero();
        assertThat(entry.removeForwarder(x, metrics)).isTrue();
        assertThat(entry.hasForwarders()).as("one registration, one removal").isFalse();
    }

    @Test
    void multiForwarderCountersMoveOnlyWhenASecondLinkArrivesOrTheLastButOneLeaves() {
        Link x = new Link("x");
        Link y = new Link("y");
        Link z = new Link("z");
        entry.addForwarder(x, metrics);
        assertThat(metrics.multiForwarderCreated.sum()).isZero();
        entry.addForwarder(y, metrics);
        assertThat(metrics.multiForwarderCreated.sum()).as("two links: a set").isEqualTo(1);
        entry.addForwarder(z, metrics);
        assertThat(metrics.multiForwarderCreated.sum()).as("a third joins the set").isEqualTo(1);

        entry.removeForwarder(z, metrics);
        assertThat(metrics.multiForwarderDeleted.sum()).as("still two").isZero();
        entry.removeForwarder(x, metrics);
        assertThat(metrics.multiForwarderDeleted.sum()).as("back to one").isEqualTo(1);
        entry.removeForwarder(y, metrics);
        assertThat(metrics.multiForwarderDeleted.sum()).isEqualTo(1);

        entry.addForwarder(x, metrics);
        entry.addForwarder(y, metrics);
        entry.removeForwarder(y, metrics);
        assertThat(metrics.multiForwarderCreated.sum()).isEqualTo(2);
        assertThat(metrics.multiForwarderDeleted.sum()).isEqualTo(2);
        assertThat(metrics.packetForwarderDeleteOtherValue.sum()).isZero();
    }

    @Test
    void removingAForwarderThatIsNotRegisteredCountsAnOtherValueAndChangesNothing() {
        Link x = new Link("x");
        Link y = new Link("y");
        Link stranger = new Link("stranger");
        assertThat(entry.removeForwarder(stranger, metrics)).as("none registered").isFalse();
        assertThat(metrics.packetForwarderDeleteOtherValue.sum()).isEqualTo(1);

        entry.addForwarder(x, metrics);
        assertThat(entry.removeForwarder(stranger, metrics)).as("a single other link").isFalse();
        assertThat(metrics.packetForwarderDeleteOtherValue.sum()).isEqualTo(2);
        assertThat(entry.forwarder).isSameAs(x);

        // As in the original, a stranger removed from a set of links is not counted.
        entry.addForwarder(y, metrics);
        assertThat(entry.removeForwarder(stranger, metrics)).isFalse();
        assertThat(metrics.packetForwarderDeleteOtherValue.sum()).isEqualTo(2);
        assertThat(metrics.multiForwarderDeleted.sum()).isZero();
        assertThat(entry.forwarder).isSameAs(x);
    }

    @Test
    void aKeyUnknownToTheRegistryCountsNothingOnRemoval() {
        ClientRegistry registry = new ClientRegistry(metrics);
        registry.removeForwarder(RelayFixtures.randomKey(), new Link("x"));
        assertThat(metrics.packetForwarderDeleteOtherValue.sum()).isZero();
        assertThat(metrics.clientsTotal.get()).isZero();
    }

    @Test
    void aLocalConnectionAndForwardersLiveSideBySideInOneEntry() {
        ClientConnection a = added();
        Link x = new Link("x");
        entry.addForwarder(x, metrics);
        assertThat(entry.active).isSameAs(a);
        assertThat(entry.forwarder).isSameAs(x);
        assertThat(entry.remove(a, metrics)).isTrue();
        assertThat(entry.isEmpty()).as("still reachable through the mesh").isFalse();
        entry.removeForwarder(x, metrics);
        assertThat(entry.isEmpty()).isTrue();
    }
}
