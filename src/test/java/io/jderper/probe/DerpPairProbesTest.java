package io.jderper.probe;

import io.jderper.key.MeshKey;
import io.jderper.key.MeshKeySource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** The probe clients' options, above all the mesh key, which must follow a rotating source. */
class DerpPairProbesTest {
    private static final MeshKey K1 = MeshKey.parse("11".repeat(32));
    private static final MeshKey K2 = MeshKey.parse("22".repeat(32));
    private static final DerpMap.Node PLAIN = new DerpMap.Node("n", 900, "127.0.0.1", "", "127.0.0.1", "", 0, false,
            3340, false, true);

    @Test
    void eachConnectionPresentsTheMeshKeyCurrentAtThatMoment() {
        AtomicReference<Optional<MeshKey>> current = new AtomicReference<>(Optional.of(K1));
        DerpPairProbes probes = new DerpPairProbes(name -> Optional.of(PLAIN), rotating(current), ProbeTrust.load(null));

        assertThat(probes.clientOptions(PLAIN, true, Duration.ofSeconds(5)).meshKey()).isEqualTo(K1);
        // The server's key rotated (a secrets server): the siblings accept only the new key from now on.
        current.set(Optional.of(K2));
        assertThat(probes.clientOptions(PLAIN, true, Duration.ofSeconds(5)).meshKey()).isEqualTo(K2);
        current.set(Optional.empty());
        assertThat(probes.clientOptions(PLAIN, false, Duration.ofSeconds(5)).meshKey()).isNull();
    }

    @Test
    void optionsCarryTheProberFlagTheDialAddressAndAFloorOnTheTimeout() {
        DerpPairProbes probes = new DerpPairProbes(name -> Optional.of(PLAIN), MeshKeySource.fixed(Optional.empty()),
                ProbeTrust.load(null));
        var options = probes.clientOptions(PLAIN, true, Duration.ZERO);
        assertThat(options.prober()).isTrue();
        assertThat(options.dialAddress()).hasToString("/127.0.0.1:3340");
        assertThat(options.connectTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(options.sslContext()).as("a plain-HTTP node").isNull();
    }

    private static MeshKeySource rotating(AtomicReference<Optional<MeshKey>> current) {
        return new MeshKeySource() {
            @Override
            public Optional<MeshKey> current() {
                return current.get();
            }

            @Override
            public boolean accepts(String candidateHex) {
                return current.get().map(k -> k.matchesHex(candidateHex)).orElse(false);
            }

            @Override
            public void onRotation(Consumer<Rotation> listener) {
            }
        };
    }
}
