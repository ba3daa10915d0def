package io.jderper.config;

import io.jderper.client.Transport;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.util.List;

/**
 * Core server settings ({@code derper.*}). Each field names the original derper flag it replaces.
 *
 * @param dev      {@code -dev}: development mode: plain HTTP on port 3340 with a fresh server key every start; the port
 *                 of {@code derper.listen} and the key file are ignored
 * @param listen   {@code -a}: address of the DERP listener, {@code :port}, {@code ip:port} or {@code [ipv6]:port}; no IP
 *                 means all interfaces. It serves HTTPS when the port is 443 or the certificate mode is manual
 * @param hostname {@code -hostname}: the host name TLS certificates are for; with manual certificates it may be an IP
 *                 address
 * @param keyFile  {@code -c}: JSON file holding the server's private key, created on first start; required unless
 *                 running as root (then /var/lib/derper/derper.key) or in dev mode
 * @param home     {@code -home}: what the root path serves: empty for the default page, {@code blank} for an empty
 *                 page, or an http(s) URL to redirect to
 * @param transport the Netty transport of the main listener, STUN and the mesh links: {@code auto} (the best one
 *                 available: epoll, else io_uring, else NIO), {@code io_uring}, {@code epoll} or {@code nio}; a named
 *                 native transport that cannot be used here (kernel, seccomp) stops startup with its cause
 */
@ConfigurationProperties("derper")
public record DerperProperties(
        @DefaultValue("false") boolean dev,
        @DefaultValue(":443") String listen,
        @DefaultValue("derp.tailscale.com") String hostname,
        Path keyFile,
        @DefaultValue("") String home,
        @DefaultValue("auto") String transport) {

    public static final int DEV_PORT = 3340;

    @ConstructorBinding
    public DerperProperties {
        if (transport == null) {
            transport = "auto";
        }
        if (!List.of("auto", "io_uring", "epoll", "nio").contains(transport)) {
            throw new IllegalArgumentException(Transport.PROPERTY + " must be auto, io_uring, epoll or nio; got '"
                    + transport + "'");
        }
        ListenAddress.parse(listen, "derper.listen");
        HomePage.parse(home, "derper.home");
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("derper.hostname must not be empty");
        }
    }

    /** With the transport chosen automatically. */
    public DerperProperties(boolean dev, String listen, String hostname, Path keyFile, String home) {
        this(dev, listen, hostname, keyFile, home, "auto");
    }

    /** The transport to run on; fails, naming the property and the cause, when the named one is unavailable. */
    public Transport resolveTransport() {
        return Transport.select(transport, Transport.PROPERTY);
    }

    /** The effective main listener: dev mode forces port 3340, as the original does. */
    public ListenAddress listenAddress() {
        ListenAddress parsed = ListenAddress.parse(listen, "derper.listen");
        return dev ? new ListenAddress(parsed.host(), DEV_PORT) : parsed;
    }

    public HomePage homePage() {
        return HomePage.parse(home, "derper.home");
    }
}
