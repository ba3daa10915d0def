package io.jderper.stun;

import io.jderper.client.Transport;

/** The loopback cases again on io_uring ({@code derper.transport=io_uring}); skipped where the kernel forbids it. */
class StunServerIoUringTest extends StunServerTest {

    @Override
    Transport transport() {
        return available(Transport.IO_URING);
    }
}
