package io.jderper.mesh;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Why a mesh link attempt failed or a link went down: a short reason (the {@code reason} tag of
 * {@code derp_mesh_link_failures}) and a message for logs and health that names the cause.
 */
record LinkFailure(Reason reason, String message) {

    enum Reason {
        /** Nothing listens on the sibling's port (not started yet, or the wrong port). */
        REFUSED("refused"),
        /** No route, host unreachable. */
        UNREACHABLE("unreachable"),
        /** The connect or the DERP handshake did not complete in time. */
        TIMEOUT("timeout"),
        /** The sibling's name did not resolve. */
        DNS("dns"),
        /** The TLS handshake failed: untrusted certificate, wrong host name, protocol mismatch. */
        TLS("tls"),
        /** The sibling answered the TLS handshake with something that is not TLS, such as plain HTTP. */
        NOT_TLS("not_tls"),
        /** The sibling answered the upgrade request with something else than 101 (not a derper, or not ready). */
        UPGRADE_REFUSED("upgrade_refused"),
        /** The sibling refused WatchConns: the mesh keys differ. */
        MESH_KEY("mesh_key"),
        /** The sibling accepted the link but sent no snapshot. */
        NO_SNAPSHOT("no_snapshot"),
        /** The connection closed before the link was up, for no reason seen here. */
        CLOSED("closed"),
        /** A link that was up broke. */
        LOST("lost"),
        /** A link that was up received nothing (not even KeepAlives) for the idle limit and was closed. */
        IDLE("idle"),
        /** A link whose outbound buffer did not drain for the stall limit was closed. */
        STALLED("stalled"),
        OTHER("other");

        final String tag;

        Reason(String tag) {
            this.tag = tag;
        }
    }

    /** What the operator reads: the cause first, then the underlying error. */
    static LinkFailure of(Throwable error) {
        Throwable c = unwrap(error);
        String detail = c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
        if (c instanceof NotSslRecordException) {
            return new LinkFailure(Reason.NOT_TLS, "sibling does not speak TLS on this port (plain HTTP? set derper.mesh.tls "
                    + "to match the sibling): " + detail);
        }
        if (c instanceof SSLException) {
            return new LinkFailure(Reason.TLS, "TLS handshake failed: " + detail);
        }
        if (c instanceof ConnectTimeoutException || c instanceof TimeoutException) {
            return new LinkFailure(Reason.TIMEOUT, "timed out: " + detail);
        }
        if (c instanceof NoRouteToHostException) {
            return new LinkFailure(Reason.UNREACHABLE, "unreachable: " + detail);
        }
        if (c instanceof ConnectException) {
            String m = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
            return m.contains("refused")
                    ? new LinkFailure(Reason.REFUSED, "connection refused (is the sibling running on this port?): " + detail)
                    : new LinkFailure(Reason.UNREACHABLE, "cannot connect: " + detail);
        }
        if (c instanceof UnknownHostException) {
            return new LinkFailure(Reason.DNS, "cannot resolve: " + detail);
        }
        if (c.getMessage() != null && c.getMessage().startsWith("DERP upgrade refused")) {
            return new LinkFailure(Reason.UPGRADE_REFUSED, "sibling did not accept the DERP upgrade: " + c.getMessage());
        }
        if (c instanceof java.io.IOException && c.getMessage() != null && c.getMessage().contains("closed")) {
            return new LinkFailure(Reason.CLOSED, "sibling closed the connection during the handshake: " + detail);
        }
        return new LinkFailure(Reason.OTHER, detail);
    }

    static LinkFailure dns(String host, Throwable error) {
        Throwable c = unwrap(error);
        return new LinkFailure(Reason.DNS, "cannot resolve " + host + ": " + c.getClass().getSimpleName()
                + (c.getMessage() == null ? "" : ": " + c.getMessage()));
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c && (c instanceof CompletionException
                || c instanceof ExecutionException || c instanceof DecoderException)) {
            c = c.getCause();
        }
        return c;
    }

    @Override
    public String toString() {
        return message;
    }
}
