package io.jderper.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Registered for every test class (service loader + autodetection): after the class, collects garbage, lets the leak
 * detector run, and fails the class if any ByteBuf was leaked.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            // The detector reports collected-but-unreleased buffers when the next buffer is tracked.
            ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
            ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
            a.release();
            b.release();
        }
        List<String> leaks = RecordingLeakDetector.drain();
        if (!leaks.isEmpty()) {
            fail("Netty reported " + leaks.size() + " ByteBuf leak(s) during " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }
}
