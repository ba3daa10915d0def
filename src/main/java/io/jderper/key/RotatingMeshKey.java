package io.jderper.key;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A mesh key that can be replaced while the server runs. After a rotation the replaced key is still accepted from
 * incoming mesh peers for a grace time: the siblings of a region pick up a new key at different moments, and a sibling
 * that has not yet done so must still be able to link to a node that has. Outgoing links always use the current key.
 */
public final class RotatingMeshKey implements MeshKeySource {

    private record State(MeshKey current, MeshKey previous, long previousUntilNanos) {
    }

    private final LongSupplier nanoTime;
    private final List<Consumer<Rotation>> listeners = new CopyOnWriteArrayList<>();
    private volatile State state;

    public RotatingMeshKey(MeshKey initial) {
        this(initial, System::nanoTime);
    }

    RotatingMeshKey(MeshKey initial, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.state = new State(initial, null, 0);
    }

    @Override
    public Optional<MeshKey> current() {
        return Optional.of(state.current());
    }

    @Override
    public boolean accepts(String candidateHex) {
        if (candidateHex == null) {
            return false;
        }
        State s = state;
        // Both comparisons always run, so the answer's timing does not tell which key matched.
        boolean current = s.current().matchesHex(candidateHex);
        boolean previous = s.previous() != null && s.previous().matchesHex(candidateHex)
                && nanoTime.getAsLong() - s.previousUntilNanos() < 0;
        return current | previous;
    }

    /** True while the replaced key is still accepted (for health and tests). */
    public boolean previousStillAccepted() {
        State s = state;
        return s.previous() != null && nanoTime.getAsLong() - s.previousUntilNanos() < 0;
    }

    /**
     * Makes {@code next} the current key. The key it replaces stays acceptable for {@code grace}. A key equal to the
     * current one changes nothing and notifies no one.
     *
     * @return whether the key changed
     */
    public boolean rotate(MeshKey next, Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative");
        }
        Rotation rotation;
        synchronized (this) {
            State s = state;
            if (s.current().matchesHex(next.toHex())) {
                return false;
            }
            state = new State(next, grace.isZero() ? null : s.current(), nanoTime.getAsLong() + grace.toNanos());
            rotation = new Rotation(next, grace);
        }
        for (Consumer<Rotation> l : listeners) {
            l.accept(rotation);
        }
        return true;
    }

    @Override
    public void onRotation(Consumer<Rotation> listener) {
        listeners.add(listener);
    }
}
