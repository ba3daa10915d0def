package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.util.List;

/**
 * Names served at /bootstrap-dns ({@code derper.bootstrap-dns.*}).
 *
 * @param names            {@code -bootstrap-dns-names}: comma-separated host names whose addresses /bootstrap-dns
 *                         serves
 * @param unpublishedNames {@code -unpublished-bootstrap-dns-names}: names served at /bootstrap-dns only when asked for
 *                         by name, each {@code name} or {@code name/txtname} (a TXT record holding the 0-100 rollout
 *                         percentage)
 */
@ConfigurationProperties("derper.bootstrap-dns")
public record BootstrapDnsProperties(
        @DefaultValue List<String> names,
        @DefaultValue List<String> unpublishedNames) {
}
