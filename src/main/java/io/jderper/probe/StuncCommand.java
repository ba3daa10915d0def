package io.jderper.probe;

import io.netty.util.NetUtil;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar jderper.jar stunc host[:port]} (or {@code host port}, as the original's cmd/stunc): one Binding
 * request the way Tailscale clients send it; prints where it went, who answered, the mapped address and the round
 * trip; exits 1 on a timeout or a bad answer, 2 on bad usage.
 */
public final class StuncCommand {
    static final int DEFAULT_PORT = 3478;

    private StuncCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        CliLogging.quiet();
        Duration timeout = Duration.ofSeconds(3);
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (positional.isEmpty() && (a.equals("-timeout") || a.equals("--timeout") || a.startsWith("-timeout=") || a.startsWith("--timeout="))) {
                String v;
                if (a.contains("=")) {
                    v = a.substring(a.indexOf('=') + 1);
                } else if (i + 1 < args.length) {
                    v = args[++i];
                } else {
                    return usage(err, "flag needs an argument: -timeout");
                }
                try {
                    timeout = ProbeFlags.parseDuration(v, "timeout");
                } catch (IllegalArgumentException e) {
                    return usage(err, e.getMessage());
                }
                if (timeout.isNegative() || timeout.isZero()) {
                    return usage(err, "-timeout must be positive");
                }
            } else if (positional.isEmpty() && (a.equals("-h") || a.equals("-help") || a.equals("--help"))) {
                return usage(err, null);
            } else {
                positional.add(a);
            }
        }
        if (positional.isEmpty() || positional.size() > 2) {
            return usage(err, null);
        }
        String host = positional.get(0);
        String portText = positional.size() == 2 ? positional.get(1) : null;
        if (portText == null) {
            if (host.startsWith("[") && host.contains("]:")) {
                portText = host.substring(host.indexOf("]:") + 2);
                host = host.substring(1, host.indexOf(']'));
            } else if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') > 0 && host.indexOf(':') == host.lastIndexOf(':')) {
                portText = host.substring(host.indexOf(':') + 1);
                host = host.substring(0, host.indexOf(':'));
            }
        }
        int port = DEFAULT_PORT;
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                err.println("invalid port: " + portText);
                return 1;
            }
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            err.println("lookup " + host + ": no such host");
            return 1;
        }
        InetSocketAddress server = new InetSocketAddress(address, port);
        try {
            StunClient.Result r = StunClient.query(server, timeout, null, null)
                    .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            out.println("sent addr: " + NetUtil.toSocketAddressString(server));
            out.println("from addr: " + NetUtil.toSocketAddressString(r.from()));
            out.println("stun addr: " + NetUtil.toSocketAddressString(r.mappedAddress()));
            out.println("rtt: " + StatusPage.millis(r.roundTrip()));
            return 0;
        } catch (ExecutionException e) {
            err.println(Probe.message(e.getCause()));
            return 1;
        } catch (java.util.concurrent.TimeoutException e) {
            err.println("timeout reading from " + NetUtil.toSocketAddressString(server));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static int usage(PrintStream err, String problem) {
        if (problem != null) {
            err.println(problem);
        }
        err.println("usage: jderper stunc [-timeout 3s] <hostname>[:port] | <hostname> [port]");
        return problem == null ? 1 : 2;
    }
}
