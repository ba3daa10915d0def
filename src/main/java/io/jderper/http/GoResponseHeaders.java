package io.jderper.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpResponse;
import reactor.netty.NettyPipeline;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Makes every HTTP response head of the main listener look the way the original's Go HTTP server writes it, whoever
 * produced it (WebFlux routes, Reactor Netty's own answers, Netty's WebSocket handshaker):
 * <ul>
 * <li>header names in Go's canonical form ({@code Content-Length}, {@code Sec-Websocket-Accept});</li>
 * <li>the handler's headers sorted by name, then {@code Date}, {@code Content-Length}, {@code Connection: close} and
 * {@code Transfer-Encoding} last, as Go appends them;</li>
 * <li>a {@code Date} header on every response, in Go's {@code http.TimeFormat};</li>
 * <li>no {@code Transfer-Encoding} on an answer to HEAD, where Go sends no framing header at all;</li>
 * <li>{@code Connection: Upgrade} spelled as Go spells it.</li>
 * </ul>
 * Header values are the handlers' own: each route spells its content type as the original's handler does (with or
 * without a space after the semicolon; {@code /debug/varz} has none).
 * Raw responses (the DERP 101, the terse 400/431 for unparseable requests) bypass the codec and stay as written.
 * Once the connection has been upgraded (the HTTP codec is gone) the handler removes itself.
 */
final class GoResponseHeaders extends ChannelDuplexHandler {
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static volatile CachedDate cachedDate = new CachedDate(-1, "");

    /** Pipelined requests whose HEAD-ness is remembered one by one; deeper ones count as GET (at worst a spare header). */
    private static final int MAX_TRACKED = 256;

    /** Whether each request still to be answered was a HEAD, oldest first; requests beyond the bound in untracked. */
    private final ArrayDeque<Boolean> heads = new ArrayDeque<>();
    private int untracked;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            if (untracked > 0 || heads.size() >= MAX_TRACKED) {
                untracked++;
            } else {
                heads.add(request.method().equals(HttpMethod.HEAD));
            }
        }
        ctx.fireChannelRead(msg);
    }

    private boolean answering(HttpResponseStatus status) {
        if (status.codeClass() == HttpStatusClass.INFORMATIONAL && status.code() != 101) {
            return Boolean.TRUE.equals(heads.peek()); // 100 Continue: the final answer is still to come
        }
        Boolean head = heads.poll();
        if (head == null && untracked > 0) {
            untracked--;
        }
        return Boolean.TRUE.equals(head);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response) {
            rewrite(response.headers(), answering(response.status()));
        } else if (!(msg instanceof HttpObject) && ctx.pipeline().get(NettyPipeline.HttpCodec) == null) {
            ctx.pipeline().remove(this); // upgraded: nothing HTTP is written any more
        }
        ctx.write(msg, promise);
    }

    static void rewrite(HttpHeaders headers, boolean head) {
        List<Map.Entry<String, String>> handler = new ArrayList<>();
        String date = null;
        String contentLength = null;
        String connectionClose = null;
        String transferEncoding = null;
        for (Map.Entry<String, String> e : headers) {
            String name = canonical(e.getKey());
            String value = e.getValue();
            switch (name) {
                case "Date" -> date = value;
                case "Content-Length" -> contentLength = value;
                case "Transfer-Encoding" -> transferEncoding = value;
                case "Connection" -> {
                    if (value.equalsIgnoreCase("close")) {
                        connectionClose = "close";
                    } else {
                        handler.add(Map.entry(name, value.equalsIgnoreCase("upgrade") ? "Upgrade" : value));
                    }
                }
                default -> handler.add(Map.entry(name, value));
            }
        }
        handler.sort(Map.Entry.comparingByKey()); // stable: repeated names keep their order
        headers.clear();
        for (Map.Entry<String, String> e : handler) {
            headers.add(e.getKey(), e.getValue());
        }
        headers.add("Date", date != null ? date : now());
        if (contentLength != null) {
            headers.add("Content-Length", contentLength);
        }
        if (connectionClose != null) {
            headers.add("Connection", connectionClose);
        }
        if (transferEncoding != null && !head) {
            headers.add("Transfer-Encoding", transferEncoding);
        }
    }

    /** Go's {@code textproto.CanonicalMIMEHeaderKey}: upper case at the start and after each hyphen, else lower. */
    static String canonical(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == ' ' || c >= 0x7f || c < 0x21 || c == ':') {
                return name; // not a token: Go leaves such a key alone
            }
        }
        char[] out = name.toCharArray();
        boolean upper = true;
        for (int i = 0; i < out.length; i++) {
            char c = out[i];
            if (upper && c >= 'a' && c <= 'z') {
                c = (char) (c - 32);
            } else if (!upper && c >= 'A' && c <= 'Z') {
                c = (char) (c + 32);
            }
            out[i] = c;
            upper = c == '-';
        }
        return new String(out);
    }

    static String now() {
        long second = System.currentTimeMillis() / 1000;
        CachedDate d = cachedDate;
        if (d.second != second) {
            d = new CachedDate(second, HTTP_DATE.format(Instant.ofEpochSecond(second)));
            cachedDate = d;
        }
        return d.text;
    }

    private record CachedDate(long second, String text) {
    }

}
