package io.jderper.http;

import io.netty.channel.Channel;

/**
 * Lets other parts of the server guard each connection the main listener accepts (accept rate, connection caps,
 * request deadlines). Hooks run on the connection's event loop once Reactor Netty's HTTP handlers and the DERP upgrade
 * handler are in place, before any byte is read; a hook may close the channel to refuse it.
 */
@FunctionalInterface
public interface MainListenerHook {
    void channelInit(Channel channel);
}
