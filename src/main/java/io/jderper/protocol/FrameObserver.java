package io.jderper.protocol;

/** Called with each frame header as soon as it is read, before the payload is buffered. */
@FunctionalInterface
public interface FrameObserver {
    FrameObserver NONE = (type, length) -> {
    };

    void onHeader(int type, long length);
}
