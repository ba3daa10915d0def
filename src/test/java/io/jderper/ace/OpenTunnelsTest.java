package io.jderper.ace;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Shutdown closes every tunnel, both sides; a tunnel that comes up after shutdown began closes at once. */
class OpenTunnelsTest {

    @Test
    void stopClosesBothSidesOfEveryOpenTunnel() {
        OpenTunnels open = new OpenTunnels();
        open.start();
        EmbeddedChannel front = new EmbeddedChannel();
        EmbeddedChannel back = new EmbeddedChannel();
        open.add(front, back);
        assertThat(open.size()).isEqualTo(1);
        open.stop();
        assertThat(front.isOpen()).isFalse();
        assertThat(back.isOpen()).isFalse();
        assertThat(open.isRunning()).isFalse();
    }

    @Test
    void aTunnelAddedAfterStopIsClosed() {
        OpenTunnels open = new OpenTunnels();
        open.start();
        open.stop();
        EmbeddedChannel front = new EmbeddedChannel();
        open.add(front, new EmbeddedChannel());
        assertThat(front.isOpen()).isFalse();
    }

    @Test
    void bufferedBytesSumsWhatBothSidesHoldUnwritten() {
        OpenTunnels open = new OpenTunnels();
        open.start();
        EmbeddedChannel front = new EmbeddedChannel();
        EmbeddedChannel back = new EmbeddedChannel();
        open.add(front, back);
        front.write(Unpooled.wrappedBuffer(new byte[1000]));
        back.write(Unpooled.wrappedBuffer(new byte[24]));
        // The outbound buffer counts each queued write's bookkeeping too, as its water marks do (96 bytes today).
        assertThat(open.bufferedBytes()).isBetween(1024L, 1024L + 2 * 256);
        front.flush();
        back.flush();
        assertThat(open.bufferedBytes()).isZero();
        open.remove(front);
        assertThat(open.size()).isZero();
        front.finishAndReleaseAll();
        back.finishAndReleaseAll();
    }
}
