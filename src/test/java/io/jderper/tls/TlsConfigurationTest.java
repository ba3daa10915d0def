package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.HttpPortProperties;
import io.jderper.config.TlsProperties;
import io.jderper.key.NodePrivateKey;
import io.jderper.server.ServerIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Bean wiring: TLS beans exist exactly when the original would serve TLS (spec §3.1, C-15). */
class TlsConfigurationTest {
    @TempDir
    Path certDir;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({DerperProperties.class, TlsProperties.class, HttpPortProperties.class})
    static class Props {
        @Bean
        ServerIdentity serverIdentity() {
            return new ServerIdentity(NodePrivateKey.generate());
        }
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withUserConfiguration(Props.class, TlsConfiguration.class)
                .withPropertyValues("derper.tls.cert-dir=" + certDir, "derper.http.port=0");
    }

    @Test
    void manualModeOnAnyPortServesTlsAndStartsThePort80Listener() {
        runner().withPropertyValues("derper.listen=127.0.0.1:8443", "derper.tls.mode=manual", "derper.hostname=127.0.0.1")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx).hasSingleBean(ServerTls.class).hasBean("derperServerTls").hasBean("derperHttpRedirectServer");
                    HttpRedirectServer port80 = ctx.getBean(HttpRedirectServer.class);
                    assertThat(port80.isRunning()).isTrue();
                    assertThat(port80.port()).isPositive();
                    assertThat(ctx.getBean(ServerTls.class).isRunning()).isTrue();
                    assertThat(certDir.resolve("127.0.0.1.crt")).exists();
                });
    }

    @Test
    void c15_letsEncryptModeOffPort443IsPlainHttp() {
        runner().withPropertyValues("derper.listen=127.0.0.1:8443", "derper.tls.mode=letsencrypt")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx).doesNotHaveBean(ServerTls.class).doesNotHaveBean(HttpRedirectServer.class);
                });
    }

    @Test
    void devModeIsPlainHttpEvenInManualMode() {
        runner().withPropertyValues("derper.dev=true", "derper.tls.mode=manual", "derper.hostname=127.0.0.1")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(ServerTls.class));
    }

    @Test
    void badTlsSettingsFailStartupNamingTheProperty() {
        runner().withPropertyValues("derper.listen=127.0.0.1:443", "derper.tls.mode=gcp", "derper.hostname=derp.test")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause()
                            .hasMessageContaining("derper.tls.acme.eab-kid and derper.tls.acme.eab-key");
                });
        runner().withPropertyValues("derper.listen=127.0.0.1:8443", "derper.tls.mode=manual", "derper.hostname=derp.test")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("derper.hostname 'derp.test'");
                });
    }
}
