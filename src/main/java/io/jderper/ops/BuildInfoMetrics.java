package io.jderper.ops;

import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.info.GitProperties;
import org.springframework.stereotype.Component;

/**
 * {@code jderper_build_info{version,commit,java_version,netty_version} 1} on /actuator/prometheus: which build a node
 * runs, for dashboards that join it onto other series ({@code * on(instance) group_left(version) jderper_build_info}).
 * The version comes from the build's META-INF/build-info.properties, the commit from git.properties where the build
 * wrote one ("unknown" otherwise). Registered as a Prometheus info metric rather than a Micrometer gauge because
 * Micrometer's naming drops the {@code _info} suffix that dashboards expect.
 */
@Component
final class BuildInfoMetrics {
    static final String NAME = "jderper_build_info";
    static final String UNKNOWN = "unknown";

    private final Labels labels;

    BuildInfoMetrics(ObjectProvider<BuildProperties> build, ObjectProvider<GitProperties> git,
                     ObjectProvider<PrometheusRegistry> prometheus) {
        BuildProperties b = build.getIfAvailable();
        GitProperties g = git.getIfAvailable();
        String version = b != null ? b.getVersion() : BuildInfoMetrics.class.getPackage().getImplementationVersion();
        labels = new Labels(version != null ? version : UNKNOWN,
                g != null && g.getShortCommitId() != null ? g.getShortCommitId() : UNKNOWN,
                System.getProperty("java.version", UNKNOWN), nettyVersion());
        PrometheusRegistry registry = prometheus.getIfAvailable();
        if (registry != null) {
            Info.builder().name(NAME).help("build of this server; the value is always 1")
                    .labelNames("version", "commit", "java_version", "netty_version")
                    .register(registry)
                    .setLabelValues(labels.version(), labels.commit(), labels.javaVersion(), labels.nettyVersion());
        }
    }

    Labels labels() {
        return labels;
    }

    static String nettyVersion() {
        io.netty.util.Version common = io.netty.util.Version.identify().get("netty-common");
        return common != null ? common.artifactVersion() : UNKNOWN;
    }

    record Labels(String version, String commit, String javaVersion, String nettyVersion) {
    }
}
