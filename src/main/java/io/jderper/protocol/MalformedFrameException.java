package io.jderper.protocol;

import io.netty.handler.codec.CorruptedFrameException;

/** A frame that breaks the protocol's rules; the connection that sent it is closed. */
public final class MalformedFrameException extends CorruptedFrameException {
    private final int frameType;

    public MalformedFrameException(int frameType, String message) {
        super(FrameType.name(frameType) + ": " + message);
        this.frameType = frameType;
    }

    public int frameType() {
        return frameType;
    }
}
