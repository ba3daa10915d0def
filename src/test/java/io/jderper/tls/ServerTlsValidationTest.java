package io.jderper.tls;

import io.jderper.config.DerperProperties;
import io.jderper.config.TlsProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spec §3.2: the TLS settings the original refuses to start with, and the messages naming our properties. */
class ServerTlsValidationTest {
    @TempDir
    Path tmp;

    private ServerTls create(String hostname, String mode, String email, String kid, String key, boolean ipCerts) {
        var core = new DerperProperties(false, "127.0.0.1:443", hostname, null, "");
        var tls = new TlsProperties(mode, tmp, new TlsProperties.Acme(email, kid, key, ipCerts,
                URI.create("https://127.0.0.1:1/dir"), null), Duration.ZERO, "auto");
        return opened(ServerTls.create(core, tls, new io.jderper.config.HttpPortProperties(80), TlsTestSupport.randomServerKey()));
    }

    /** Each created ServerTls holds a TLS context; closing it keeps the leak detector quiet. */
    private final java.util.List<ServerTls> created = new java.util.ArrayList<>();

    private ServerTls opened(ServerTls tls) {
        created.add(tls);
        return tls;
    }

    @org.junit.jupiter.api.AfterEach
    void closeAll() {
        created.forEach(ServerTls::close);
    }

    @Test
    void ipCertsRequireLetsEncryptMode() {
        assertThatThrownBy(() -> create("derp.test", "gcp", "a@b.c", "kid", "a2V5", true))
                .hasMessageContaining("derper.tls.acme.ip-certs requires derper.tls.mode=letsencrypt");
        assertThatThrownBy(() -> create("127.0.0.1", "manual", "", "", "", true))
                .hasMessageContaining("derper.tls.acme.ip-certs requires derper.tls.mode=letsencrypt");
    }

    @Test
    void ipHostnameNeedsIpCertsWithLetsEncrypt() {
        assertThatThrownBy(() -> create("192.0.2.1", "letsencrypt", "", "", "", false))
                .hasMessageContaining("derper.hostname is an IP address")
                .hasMessageContaining("derper.tls.acme.ip-certs");
        assertThat(create("192.0.2.1", "letsencrypt", "", "", "", true).mode()).isEqualTo("letsencrypt");
        assertThat(tmp.resolve("acme-account.key")).exists();
    }

    @Test
    void gcpNeedsDnsHostnameEabAndEmail() {
        assertThatThrownBy(() -> create("192.0.2.1", "gcp", "a@b.c", "kid", "a2V5", false))
                .hasMessageContaining("derper.tls.mode=gcp requires derper.hostname to be a DNS name");
        assertThatThrownBy(() -> create("derp.test", "gcp", "a@b.c", "", "", false))
                .hasMessageContaining("derper.tls.acme.eab-kid and derper.tls.acme.eab-key");
        assertThatThrownBy(() -> create("derp.test", "gcp", "", "kid", "a2V5", false))
                .hasMessageContaining("derper.tls.acme.email");
        assertThat(create("derp.test", "gcp", "a@b.c", "kid", "a2V5", false).mode()).isEqualTo("gcp");
        assertThat(tmp.resolve("acme_account+key")).exists();
    }

    @Test
    void eabKeyMustBeBase64AndComeWithAKid() {
        assertThatThrownBy(() -> create("derp.test", "letsencrypt", "", "kid", "", false))
                .hasMessageContaining("must be set together");
        assertThatThrownBy(() -> create("derp.test", "letsencrypt", "", "kid", "%%%", false))
                .hasMessageContaining("derper.tls.acme.eab-key is not valid base64");
        assertThat(ServerTls.decodeEabKey("-_8")).containsExactly(0xfb, 0xff);
        assertThat(ServerTls.decodeEabKey("+/8=")).containsExactly(0xfb, 0xff);
    }

    @Test
    void emptyDirectorySettingsMeanTheDefaults() {
        var core = new DerperProperties(false, "127.0.0.1:443", "derp.test", null, "");
        var tls = new TlsProperties("letsencrypt", tmp, new TlsProperties.Acme("", "", "", false, URI.create(""), Path.of("")),
                Duration.ZERO, "auto");
        assertThat(opened(ServerTls.create(core, tls, new io.jderper.config.HttpPortProperties(80), TlsTestSupport.randomServerKey()))
                .mode()).isEqualTo("letsencrypt");
        var badCa = new TlsProperties("letsencrypt", tmp, new TlsProperties.Acme("", "", "", false, null,
                tmp.resolve("missing.pem")), Duration.ZERO, "auto");
        assertThatThrownBy(() -> ServerTls.create(core, badCa, new io.jderper.config.HttpPortProperties(80),
                TlsTestSupport.randomServerKey())).hasMessageContaining("derper.tls.acme.directory-ca");
    }

    @Test
    void manualModeProblemsNameTheProperties() {
        assertThatThrownBy(() -> create("derp.test", "manual", "", "", "", false))
                .hasMessageContaining("derper.tls.mode=manual").hasMessageContaining("derper.hostname");
    }

    @Test
    void unknownProviderIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> new TlsProperties("manual", tmp, null, null, "boringssl"))
                .hasMessageContaining("derper.tls.provider");
        assertThatThrownBy(() -> TlsProvider.choose("boringssl")).hasMessageContaining("derper.tls.provider");
        assertThat(TlsProvider.choose("jdk")).isEqualTo(TlsProvider.JDK);
        assertThat(TlsProvider.choose("auto")).isEqualTo(TlsProvider.openSslUsable() ? TlsProvider.OPENSSL : TlsProvider.JDK);
    }

    @Test
    void unknownModeIsRefusedByTheProperties() {
        assertThatThrownBy(() -> new TlsProperties("selfsigned", tmp, null, null, "auto"))
                .hasMessageContaining("derper.tls.mode");
    }
}
