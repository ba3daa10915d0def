package io.jderper.ops;

import io.jderper.testsupport.DerpServerTestBase;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.info.BuildProperties;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** jderper_build_info on /actuator/prometheus: one series, value 1, labelled with what this build is made of. */
class BuildInfoMetricsTest extends DerpServerTestBase {
    @Autowired
    BuildProperties build;

    @Test
    void buildInfoNamesVersionCommitJavaAndNetty() throws Exception {
        HttpResponse<String> r = Http.get(managementPort(), "/actuator/prometheus");
        assertThat(r.statusCode()).isEqualTo(200);
        String expected = "jderper_build_info{commit=\"unknown\",java_version=\"" + System.getProperty("java.version")
                + "\",netty_version=\"" + io.netty.util.Version.identify().get("netty-transport").artifactVersion()
                + "\",version=\"" + build.getVersion() + "\"} 1";
        assertThat(r.body().lines().filter(l -> l.startsWith("jderper_build_info")))
                .as(r.body()).containsExactly(expected);
        assertThat(r.body()).contains("# TYPE jderper_build_info gauge");
        assertThat(build.getVersion()).as("from the build's build-info goal").isNotBlank().isNotEqualTo("unknown");
    }
}
