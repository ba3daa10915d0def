package io.jderper.probe;

import io.jderper.client.ClientEventLoops;
import io.jderper.stun.StunMessages;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One STUN Binding exchange as Tailscale clients make it, from a fresh UDP socket. With {@code retryEvery} set, a
 * request that gets no answer is sent again after that wait (plus 100 ms) until the overall deadline, the way the
 * original prober keeps trying on a lossy path; without it, one request and one wait.
 */
public final class StunClient {

    /** What came back. */
    public record Result(InetSocketAddress mappedAddress, InetSocketAddress from, Duration roundTrip) {
    }

    private StunClient() {
    }

    /**
     * @param server     where to send the request
     * @param deadline   overall time budget
     * @param retryEvery how long to wait for each answer before sending again, or null for a single try
     * @param onSocket   receives the socket so the caller can close it early (may be null)
     */
    public static CompletableFuture<Result> query(InetSocketAddress server, Duration deadline, Duration retryEvery,
                                                  java.util.function.Consumer<Channel> onSocket) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        byte[] txid = StunMessages.newTransactionId();
        byte[] request = StunMessages.bindingRequest(txid);
        EventLoopGroup group = ClientEventLoops.shared();
        SocketProtocolFamily family = server.getAddress() instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        long[] sentAt = new long[1];
        Bootstrap b = new Bootstrap().group(group)
                .channelFactory(() -> newChannel(family))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(9000))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        long now = System.nanoTime();
                        ByteBuf content = packet.content();
                        byte[] bytes = new byte[content.readableBytes()];
                        content.getBytes(content.readerIndex(), bytes);
                        try {
                            StunMessages.BindingResponse response = StunMessages.parseBindingResponse(bytes, bytes.length);
                            if (!response.answers(txid)) {
                                result.completeExceptionally(new ProbeFailure("read wrong tx back from " + addressText(server)));
                            } else {
                                result.complete(new Result(response.mappedAddress(), packet.sender(), Duration.ofNanos(now - sentAt[0])));
                            }
                        } catch (IllegalArgumentException e) {
                            result.completeExceptionally(new ProbeFailure("parsing STUN response from " + addressText(server) + ": " + e.getMessage()));
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        result.completeExceptionally(new ProbeFailure("error reading from " + addressText(server) + ": " + Probe.message(cause)));
                    }
                });
        io.netty.channel.ChannelFuture bound = b.bind(new InetSocketAddress(family == SocketProtocolFamily.INET ? "0.0.0.0" : "::", 0));
        Channel channel = bound.channel();
        if (onSocket != null) {
            onSocket.accept(channel);
        }
        result.whenComplete((r, e) -> channel.close());
        long end = System.nanoTime() + deadline.toNanos();
        ScheduledFuture<?> overall = channel.eventLoop().schedule(() -> {
            result.completeExceptionally(new ProbeFailure("timeout reading from " + addressText(server)
                    + " after " + Probe.format(deadline)));
        }, deadline.toNanos(), TimeUnit.NANOSECONDS);
        result.whenComplete((r, e) -> overall.cancel(false));
        bound.addListener(f -> {
            if (f.isSuccess()) {
                send(channel, server, request, sentAt, retryEvery, end, result);
            } else {
                result.completeExceptionally(new ProbeFailure("opening a UDP socket: " + Probe.message(f.cause())));
            }
        });
        return result;
    }

    private static void send(Channel channel, InetSocketAddress server, byte[] request, long[] sentAt, Duration retryEvery,
                             long end, CompletableFuture<Result> result) {
        if (result.isDone()) {
            return;
        }
        sentAt[0] = System.nanoTime();
        channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(request), server)).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new ProbeFailure("sending to " + addressText(server) + ": " + Probe.message(f.cause())));
            }
        });
        if (retryEvery != null) {
            long next = retryEvery.toNanos() + TimeUnit.MILLISECONDS.toNanos(100);
            if (System.nanoTime() + next < end) {
                channel.eventLoop().schedule(() -> send(channel, server, request, sentAt, retryEvery, end, result),
                        next, TimeUnit.NANOSECONDS);
            }
        }
    }

    private static DatagramChannel newChannel(SocketProtocolFamily family) {
        return Epoll.isAvailable() ? new EpollDatagramChannel(family) : new NioDatagramChannel(family);
    }

    static String addressText(InetSocketAddress a) {
        return a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    }
}
