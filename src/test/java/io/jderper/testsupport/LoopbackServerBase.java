package io.jderper.testsupport;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;

import java.net.URI;

/** A {@link LoopbackServerTest} on plain HTTP, and where to reach it. */
@LoopbackServerTest
public abstract class LoopbackServerBase {
    @Autowired
    protected Environment environment;

    protected int port() {
        return Integer.parseInt(environment.getProperty("local.server.port"));
    }

    protected URI derpUrl() {
        return URI.create("http://127.0.0.1:" + port() + "/derp");
    }

    protected URI httpUrl(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    protected int managementPort() {
        return Integer.parseInt(environment.getProperty("local.management.port"));
    }
}
