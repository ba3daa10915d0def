package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * Core server settings ({@code derper.*}). Each field names the original derper flag it replaces.
 *
 * @param dev      {@code -dev}: listen on :3340 over plain HTTP with an ephemeral key
 * @param listen   {@code -a}: {@code :port}, {@code ip:port} or {@code [ipv6]:port}
 * @param hostname {@code -hostname}: TLS host name (may be an IP in manual mode)
 * @param keyFile  {@code -c}: JSON file holding the server private key; created on first start
 * @param home     {@code -home}: "" (default page), "blank", or an http(s) URL to redirect to
 */
@ConfigurationProperties("derper")
public record DerperProperties(
        @DefaultValue("false") boolean dev,
        @DefaultValue(":443") String listen,
        @DefaultValue("derp.tailscale.com") String hostname,
        Path keyFile,
        @DefaultValue("") String home) {

    public static final int DEV_PORT = 3340;

    public DerperProperties {
        ListenAddress.parse(listen, "derper.listen");
        HomePage.parse(home, "derper.home");
        if (hostname == null || hostname.isBlank()) {
            throw new IllegalArgumentException("derper.hostname must not be empty");
        }
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
