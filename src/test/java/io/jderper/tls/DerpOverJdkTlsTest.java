package io.jderper.tls;

import org.springframework.test.context.TestPropertySource;

/** {@link DerpOverTlsTest} with {@code derper.tls.provider=jdk}: the fallback must serve the same. */
@TestPropertySource(properties = "derper.tls.provider=jdk")
class DerpOverJdkTlsTest extends DerpOverTlsTest {
    @Override
    TlsProvider expectedProvider() {
        return TlsProvider.JDK;
    }
}
