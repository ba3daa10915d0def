package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.util.List;

/**
 * Names served at /bootstrap-dns ({@code derper.bootstrap-dns.*}).
 *
 * @param names            {@code -bootstrap-dns-names}
 * @param unpublishedNames {@code -unpublished-bootstrap-dns-names}: {@code name} or {@code name/txtname}
 */
@ConfigurationProperties("derper.bootstrap-dns")
public record BootstrapDnsProperties(
        @DefaultValue List<String> names,
        @DefaultValue List<String> unpublishedNames) {
}
