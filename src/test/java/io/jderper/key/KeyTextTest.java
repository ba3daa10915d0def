package io.jderper.key;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyTextTest {
    @Test
    void parsingRules() {
        String hex = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
        assertThat(NodePublicKey.parse("nodekey:" + hex.toUpperCase()).toHex()).isEqualTo(hex);
        assertThatThrownBy(() -> NodePublicKey.parse("NODEKEY:" + hex)).hasMessageContaining("nodekey:");
        assertThatThrownBy(() -> NodePublicKey.parse("nodekey:" + hex.substring(1))).hasMessageContaining("64 hex");
        assertThatThrownBy(() -> MeshKey.parse("zz".repeat(32))).hasMessageContaining("mesh key");
        assertThat(MeshKey.parse("  " + hex + "\n").matchesHex(hex)).isTrue();
        assertThat(MeshKey.parse(hex).matchesHex("00".repeat(32))).isFalse();
        assertThat(MeshKey.parse(hex).matchesHex("not hex")).isFalse();
    }

    @Test
    void probeEqualsKeyAndHashesAlike() {
        NodePublicKey k = NodePrivateKey.generate().publicKey();
        var buf = Unpooled.buffer();
        buf.writeByte(9);
        k.writeTo(buf);
        NodeKeyProbe probe = new NodeKeyProbe().fill(buf, 1);
        assertThat(probe).isEqualTo(k);
        assertThat(k).isEqualTo(probe);
        assertThat(probe.hashCode()).isEqualTo(k.hashCode());
        assertThat(probe.compareTo(k)).isZero();
        assertThat(probe.freeze()).isEqualTo(k).isInstanceOf(NodePublicKey.class);
        buf.release();
    }
}
