package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Client admission ({@code derper.verify.*}).
 *
 * @param tailscaled {@code -verify-clients}: ask the local tailscaled whether a node key is in the tailnet
 * @param socket     {@code -socket}: tailscaled LocalAPI unix socket
 * @param clientUrl  {@code -verify-client-url}: admission controller
 * @param failOpen   {@code -verify-client-url-fail-open}
 * @param timeout    admission controller timeout (original: 5 s)
 */
@ConfigurationProperties("derper.verify")
public record VerifyProperties(
        @DefaultValue("false") boolean tailscaled,
        @DefaultValue("/var/run/tailscale/tailscaled.sock") Path socket,
        URI clientUrl,
        @DefaultValue("true") boolean failOpen,
        @DefaultValue("5s") Duration timeout) {
}
