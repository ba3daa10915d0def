package io.jderper.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A prober running beside the relay ({@code derper.probe.*}); the same probes as {@code jderper probe}, whose
 * derpprobe flag each field names. Zero intervals switch a probe class off.
 *
 * @param enabled              run the prober inside this server
 * @param listen               {@code -listen}: status page and metrics of the prober
 * @param derpMap              {@code -derp-map}: {@code local} (this server and its mesh siblings) or an https/file URL
 * @param interval             {@code -interval}: how often the DERP map is fetched
 * @param meshInterval         {@code -mesh-interval}: how often packets are sent between every pair of nodes of a region
 * @param stunInterval         {@code -stun-interval}: how often each node's STUN server is asked
 * @param tlsInterval          {@code -tls-interval}: how often each node's certificate is checked
 * @param bwInterval           {@code -bw-interval}: 0 = no bandwidth probes
 * @param bwProbeSizeBytes     {@code -bw-probe-size-bytes}: bytes sent by one bandwidth probe
 * @param qdPacketsPerSecond   {@code -qd-packets-per-second}: 0 = no queuing-delay probes
 * @param qdPacketTimeout      {@code -qd-packet-timeout}: a queuing-delay packet not back within this counts as lost
 * @param regionCode           {@code -region-code}: only this region of the map (code or ID); empty = all
 * @param spread               {@code -spread}: start the probes spread over their interval rather than all at once
 * @param tlsCaFile            PEM file of extra CA certificates trusted for the nodes' certificates
 */
@ConfigurationProperties("derper.probe")
public record ProbeProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue(":8030") String listen,
        @DefaultValue("local") String derpMap,
        @DefaultValue("15s") Duration interval,
        @DefaultValue("15s") Duration meshInterval,
        @DefaultValue("15s") Duration stunInterval,
        @DefaultValue("15s") Duration tlsInterval,
        @DefaultValue("0s") Duration bwInterval,
        @DefaultValue("1000000") long bwProbeSizeBytes,
        @DefaultValue("0") int qdPacketsPerSecond,
        @DefaultValue("5s") Duration qdPacketTimeout,
        @DefaultValue("") String regionCode,
        @DefaultValue("true") boolean spread,
        Path tlsCaFile) {

    public ProbeProperties {
        ListenAddress.parse(listen, "derper.probe.listen");
        if (!derpMap.equals("local") && !derpMap.startsWith("https://") && !derpMap.startsWith("http://")
                && !derpMap.startsWith("file:")) {
            throw new IllegalArgumentException("derper.probe.derp-map must be 'local' or an https:// or file:// URL, got '" + derpMap + "'");
        }
        positive(interval, "interval");
        notNegative(meshInterval, "mesh-interval");
        notNegative(stunInterval, "stun-interval");
        notNegative(tlsInterval, "tls-interval");
        notNegative(bwInterval, "bw-interval");
        if (bwProbeSizeBytes <= 0) {
            throw new IllegalArgumentException("derper.probe.bw-probe-size-bytes must be positive, got " + bwProbeSizeBytes);
        }
        if (qdPacketsPerSecond < 0 || qdPacketsPerSecond > 1000) {
            throw new IllegalArgumentException("derper.probe.qd-packets-per-second must be 0..1000, got " + qdPacketsPerSecond);
        }
        positive(qdPacketTimeout, "qd-packet-timeout");
    }

    private static void positive(Duration d, String name) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("derper.probe." + name + " must be positive, got " + d);
        }
    }

    private static void notNegative(Duration d, String name) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("derper.probe." + name + " must not be negative, got " + d);
        }
    }
}
