package io.jderper.stun;

/** The loopback cases again on the NIO transport, the fallback where native epoll is missing. */
class StunServerNioTest extends StunServerTest {

    @Override
    boolean nativeTransport() {
        return false;
    }
}
