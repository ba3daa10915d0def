package io.jderper.key;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the relay and the mesh read the region's mesh key. A fixed key never changes; a rotating one (the key from a
 * secrets server) changes while the server runs, so readers ask for it at each handshake instead of holding a copy.
 */
public interface MeshKeySource {

    /** The key new outgoing mesh links present, if any. */
    Optional<MeshKey> current();

    /** True when an incoming ClientInfo's mesh key (64 hex digits) makes its sender a mesh peer; constant time. */
    boolean accepts(String candidateHex);

    /** Called once per rotation, on the thread that applied it. A fixed source never calls it. */
    void onRotation(Consumer<Rotation> listener);

    /**
     * One change of the current key.
     *
     * @param current             the key new dials and handshakes use from now on
     * @param previousAcceptedFor how long incoming handshakes still accept the key it replaced (zero: not at all)
     */
    record Rotation(MeshKey current, java.time.Duration previousAcceptedFor) {
    }

    static MeshKeySource fixed(Optional<MeshKey> key) {
        return new MeshKeySource() {
            @Override
            public Optional<MeshKey> current() {
                return key;
            }

            @Override
            public boolean accepts(String candidateHex) {
                return candidateHex != null && key.isPresent() && key.get().matchesHex(candidateHex);
            }

            @Override
            public void onRotation(Consumer<Rotation> listener) {
                // never rotates
            }
        };
    }
}
