package io.jderper.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads the server's HTTP response head; on {@code 101} it removes itself and the bytes that followed the head
 * (the ServerKey frame) flow on to the DERP frame decoder. Anything else fails the connection with the status line.
 */
final class UpgradeResponseDecoder extends ByteToMessageDecoder {
    private static final int MAX_HEAD = 8192;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int end = indexOfHeadEnd(in);
        if (end < 0) {
            if (in.readableBytes() > MAX_HEAD) {
                throw new CorruptedFrameException("HTTP response head longer than " + MAX_HEAD + " bytes");
            }
            return;
        }
        String head = in.readCharSequence(end - in.readerIndex() + 4, StandardCharsets.ISO_8859_1).toString();
        String status = head.substring(0, Math.max(0, head.indexOf("\r\n")));
        if (!status.startsWith("HTTP/1.1 101") && !status.startsWith("HTTP/1.0 101")) {
            throw new CorruptedFrameException("DERP upgrade refused: " + status);
        }
        ctx.pipeline().remove(this);
    }

    private static int indexOfHeadEnd(ByteBuf in) {
        for (int i = in.readerIndex(); i + 3 < in.writerIndex(); i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r' && in.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }
}
