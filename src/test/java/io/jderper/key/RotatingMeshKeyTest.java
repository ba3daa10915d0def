package io.jderper.key;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class RotatingMeshKeyTest {
    static final MeshKey K1 = MeshKey.parse("11".repeat(32));
    static final MeshKey K2 = MeshKey.parse("22".repeat(32));
    static final MeshKey K3 = MeshKey.parse("33".repeat(32));

    @Test
    void theReplacedKeyIsAcceptedOnlyDuringTheGrace() {
        AtomicLong now = new AtomicLong(1_000);
        RotatingMeshKey key = new RotatingMeshKey(K1, now::get);
        List<MeshKeySource.Rotation> seen = new ArrayList<>();
        key.onRotation(seen::add);
        assertThat(key.accepts(K1.toHex())).isTrue();
        assertThat(key.accepts(K2.toHex())).isFalse();

        assertThat(key.rotate(K2, Duration.ofSeconds(10))).isTrue();
        assertThat(key.current()).hasValueSatisfying(k -> assertThat(k.toHex()).isEqualTo(K2.toHex()));
        assertThat(key.accepts(K2.toHex())).isTrue();
        assertThat(key.accepts(K1.toHex())).as("within the grace").isTrue();
        assertThat(key.previousStillAccepted()).isTrue();
        now.addAndGet(Duration.ofSeconds(10).toNanos() - 1);
        assertThat(key.accepts(K1.toHex())).isTrue();
        now.addAndGet(1);
        assertThat(key.accepts(K1.toHex())).as("grace over").isFalse();
        assertThat(key.previousStillAccepted()).isFalse();
        assertThat(seen).singleElement().satisfies(r -> {
            assertThat(r.current().toHex()).isEqualTo(K2.toHex());
            assertThat(r.previousAcceptedFor()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void onlyTheLastReplacedKeyIsRemembered() {
        AtomicLong now = new AtomicLong();
        RotatingMeshKey key = new RotatingMeshKey(K1, now::get);
        key.rotate(K2, Duration.ofHours(1));
        key.rotate(K3, Duration.ofHours(1));
        assertThat(key.accepts(K3.toHex())).isTrue();
        assertThat(key.accepts(K2.toHex())).isTrue();
        assertThat(key.accepts(K1.toHex())).isFalse();
    }

    @Test
    void noGraceMeansOneKeyAndTheSameKeyIsNoRotation() {
        RotatingMeshKey key = new RotatingMeshKey(K1, () -> 0);
        List<MeshKeySource.Rotation> seen = new ArrayList<>();
        key.onRotation(seen::add);
        assertThat(key.rotate(MeshKey.parse(K1.toHex()), Duration.ofHours(1))).isFalse();
        assertThat(seen).isEmpty();
        key.rotate(K2, Duration.ZERO);
        assertThat(key.accepts(K1.toHex())).isFalse();
        assertThat(key.accepts(null)).isFalse();
        assertThat(key.accepts("not hex")).isFalse();
    }

    @Test
    void aFixedSourceNeverRotates() {
        assertThat(MeshKeySource.fixed(java.util.Optional.empty()).accepts(K1.toHex())).isFalse();
        assertThat(MeshKeySource.fixed(java.util.Optional.of(K1)).accepts(K1.toHex())).isTrue();
    }
}
