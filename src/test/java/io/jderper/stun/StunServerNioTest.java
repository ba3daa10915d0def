package io.jderper.stun;

import io.jderper.client.Transport;

/** The loopback cases again on the NIO transport, the fallback where no native transport loads. */
class StunServerNioTest extends StunServerTest {

    @Override
    Transport transport() {
        return Transport.NIO;
    }
}
