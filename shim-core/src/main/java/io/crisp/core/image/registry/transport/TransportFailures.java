package io.crisp.core.image.registry.transport;

import java.io.IOException;
import java.net.URI;

/** What went wrong on the way to a registry, in the words an operator acts on, for the causes whose own message says little. */
public final class TransportFailures {
    private TransportFailures() {}

    public static String describe(String host, IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t instanceof java.net.UnknownHostException) {
                return "cannot resolve host " + hostOnly(host) + " (DNS)";
            }
            if (t instanceof java.net.ConnectException) {
                return "cannot connect to " + host + ": " + message;
            }
            if (t instanceof javax.net.ssl.SSLException && message.contains("Unsupported or unrecognized SSL message")) {
                return host + " answered plain HTTP to an HTTPS request: mark it insecure = true in registries.conf if that is intended";
            }
            if (t instanceof javax.net.ssl.SSLException && (message.contains("bad_certificate") || message.contains("certificate_required"))) {
                return "TLS handshake with " + host + " failed: it wants a client certificate this node did not send or it refused"
                        + " (a *.cert and *.key pair in its certs.d directory, e.g. /etc/containers/certs.d/" + host + "/): " + message;
            }
            if (t instanceof javax.net.ssl.SSLHandshakeException) {
                return "TLS handshake with " + host + " failed (is its certificate signed by a CA this node trusts? A private CA goes in "
                        + "its certs.d directory, e.g. /etc/containers/certs.d/" + host + "/ca.crt): " + message;
            }
        }
        return String.valueOf(e.getMessage());
    }

    private static String hostOnly(String hostAndPort) {
        try {
            String host = URI.create("//" + hostAndPort).getHost();
            return host == null ? hostAndPort : host;
        } catch (IllegalArgumentException e) {
            return hostAndPort;
        }
    }
}
