package io.jderper.client;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;

import java.util.Locale;
import java.util.concurrent.ThreadFactory;

/**
 * The Netty transport under every event loop this application starts ({@code derper.transport}): Linux io_uring,
 * Linux epoll, or the JDK's NIO selector, which works everywhere. The choice {@code auto} takes the first available
 * of {@link #AUTO_ORDER}; a named transport that cannot be used here fails with the reason the native library gave.
 */
public enum Transport {
    IO_URING("io_uring", IoUringIoHandler.class),
    EPOLL("epoll", EpollIoHandler.class),
    NIO("nio", NioIoHandler.class);

    /** The property that names the transport; also read as a system property by modes that run without Spring. */
    public static final String PROPERTY = "derper.transport";

    /**
     * What {@code auto} tries, best first. Epoll leads: io_uring made far fewer system calls per relayed packet, but
     * it did not cost less server CPU at 16 pairs × 2,000 pkts/s and cost more per packet flat out
     * (docs/performance.md, "Plain relay: system calls, wake-ups and the transport").
     */
    static final Transport[] AUTO_ORDER = {EPOLL, IO_URING, NIO};

    private final String label;
    private final Class<? extends IoHandler> handlerType;

    Transport(String label, Class<? extends IoHandler> handlerType) {
        this.label = label;
        this.handlerType = handlerType;
    }

    /** The name as {@code derper.transport} spells it. */
    public String label() {
        return label;
    }

    public boolean isAvailable() {
        return switch (this) {
            case IO_URING -> IoUring.isAvailable();
            case EPOLL -> Epoll.isAvailable();
            case NIO -> true;
        };
    }

    /** Why the native library cannot be used here (kernel, seccomp, platform), or null when it can. */
    public Throwable unavailabilityCause() {
        return switch (this) {
            case IO_URING -> IoUring.unavailabilityCause();
            case EPOLL -> Epoll.unavailabilityCause();
            case NIO -> null;
        };
    }

    public IoHandlerFactory ioHandlerFactory() {
        return switch (this) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
    }

    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return new MultiThreadIoEventLoopGroup(threads, threadFactory, ioHandlerFactory());
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return switch (this) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }

    public Class<? extends DatagramChannel> datagramChannelClass() {
        return switch (this) {
            case IO_URING -> IoUringDatagramChannel.class;
            case EPOLL -> EpollDatagramChannel.class;
            case NIO -> NioDatagramChannel.class;
        };
    }

    /** A UDP channel of this transport; {@code family} null means the platform's default (dual-stack where it can). */
    public DatagramChannel newDatagramChannel(SocketProtocolFamily family) {
        return switch (this) {
            case IO_URING -> family == null ? new IoUringDatagramChannel() : new IoUringDatagramChannel(family);
            case EPOLL -> family == null ? new EpollDatagramChannel() : new EpollDatagramChannel(family);
            case NIO -> family == null ? new NioDatagramChannel() : new NioDatagramChannel(family);
        };
    }

    /** The transport whose loops make up {@code group}, so a bootstrap's channel class always matches its group. */
    public static Transport of(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup io) {
            for (Transport t : values()) {
                if (io.isIoType(t.handlerType)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("not an event loop group of a known transport: " + group);
    }

    /**
     * Resolves a choice ({@code auto}, {@code io_uring}, {@code epoll}, {@code nio}, any case). A named transport
     * that is unavailable, or a name that is none of these, fails naming {@code property} and the cause.
     */
    public static Transport select(String choice, String property) {
        String c = choice == null ? "auto" : choice.strip().toLowerCase(Locale.ROOT);
        if (c.equals("auto") || c.isEmpty()) {
            for (Transport t : AUTO_ORDER) {
                if (t.isAvailable()) {
                    return t;
                }
            }
            return NIO;
        }
        for (Transport t : values()) {
            if (t.label.equals(c)) {
                if (!t.isAvailable()) {
                    Throwable cause = t.unavailabilityCause();
                    throw new IllegalStateException(property + "=" + t.label + ": " + t.label
                            + " is unavailable here (" + (cause == null ? "unknown reason" : cause.getMessage())
                            + "); use auto to fall back", cause);
                }
                return t;
            }
        }
        throw new IllegalArgumentException(property + " must be auto, io_uring, epoll or nio; got '" + choice + "'");
    }

    /** What a mode without Spring (the load tool, the prober's clients) uses: {@code -Dderper.transport}, else auto. */
    public static Transport fromSystemProperty() {
        return select(System.getProperty(PROPERTY, "auto"), PROPERTY);
    }

    @Override
    public String toString() {
        return label;
    }
}
