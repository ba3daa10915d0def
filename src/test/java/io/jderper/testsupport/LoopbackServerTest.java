package io.jderper.testsupport;

import org.springframework.boot.test.context.SpringBootTest;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A whole jderper in the test's context, on loopback only and never on a fixed port: the DERP listener, STUN and the
 * management server on ephemeral ports of 127.0.0.1, no port-80 listener. A test adds its own properties with {@code
 * @TestPropertySource}, which take precedence over these ({@code @SpringBootTest} properties rank below it).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = io.jderper.JderperApplication.class,
        properties = {
                "derper.listen=127.0.0.1:0",
                "derper.http.port=-1",
                "derper.stun.port=0",
                "management.server.port=0",
                "management.server.address=127.0.0.1",
        })
public @interface LoopbackServerTest {
}
