package io.jderper.config;

import io.jderper.client.Transport;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The network transport ({@code derper.transport}).
 *
 * @param transport the Netty transport of the main listener, STUN and the mesh links: {@code auto} (the best one
 *                  available: epoll, else io_uring, else NIO), {@code io_uring}, {@code epoll} or {@code nio}; a
 *                  named native transport that cannot be used (kernel, seccomp) stops startup with its cause
 */
@ConfigurationProperties("derper")
public record TransportProperties(@DefaultValue("auto") String transport) {
    public TransportProperties {
        if (transport == null) {
            transport = "auto";
        }
        if (!transport.equals("auto") && !transport.equals("io_uring") && !transport.equals("epoll")
                && !transport.equals("nio")) {
            throw new IllegalArgumentException(Transport.PROPERTY + " must be auto, io_uring, epoll or nio; got '"
                    + transport + "'");
        }
    }

    /** The transport to run on; fails, naming the property and the cause, when the named one is unavailable. */
    public Transport resolve() {
        return Transport.select(transport, Transport.PROPERTY);
    }
}
