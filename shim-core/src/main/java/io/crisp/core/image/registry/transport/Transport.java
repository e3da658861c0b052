package io.crisp.core.image.registry.transport;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a registry request reaches its host: directly or through the proxy the environment names for it
 * ({@link ProxyConfig}), with the TLS material of that host's certs.d directory ({@link CertsDirs}), or, when the
 * request's host has none (a token server, a redirect to blob storage), the material of the registry it is for.
 * Made per pull with that pull's certs.d directories; the proxy settings and built TLS contexts are shared.
 */
public final class Transport {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    private static final int MAX_FACTORIES = 128;
    private static final int PROBE_MILLIS = 5000;

    /** What every pull shares: the daemon's proxy variables and the cache of TLS contexts. */
    public static final class Shared {
        private final ProxyConfig proxies;
        private final CertsDirs certs = new CertsDirs();
        /** One factory per (TLS context, proxy), so that kept-alive connections are reused only by their own kind. */
        private final Map<Object, SSLSocketFactory> factories = new ConcurrentHashMap<>();

        public Shared(ProxyConfig proxies) {
            this.proxies = proxies;
            if (!proxies.isEmpty()) {
                log.info("Registry requests use proxies from the environment: {}", proxies);
            }
        }

        public Transport forPull(List<Path> certsDirs) {
            return new Transport(this, List.copyOf(certsDirs));
        }
    }

    private final Shared shared;
    private final List<Path> certsDirs;
    /** The TLS context of each host this pull talks to: its certs.d files are read once per pull, not per request. */
    private final Map<String, Optional<SSLContext>> contexts = new ConcurrentHashMap<>();

    private Transport(Shared shared, List<Path> certsDirs) {
        this.shared = shared;
        this.certsDirs = certsDirs;
    }

    /** A transport without proxies or certs.d, the JDK's defaults: for tests and tools. */
    public static Transport direct() {
        return new Shared(ProxyConfig.NONE).forPull(List.of());
    }

    /**
     * An unconnected connection for {@code uri}, a request made for registry {@code registryHost}.
     *
     * @throws io.crisp.spi.BackendException FAILED_PRECONDITION for an unusable proxy variable or certs.d file
     */
    public HttpURLConnection open(URI uri, String registryHost) throws IOException {
        Optional<ProxyConfig.Proxy> proxy = shared.proxies.proxyFor(uri);
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        if (!https) {
            if (proxy.isEmpty()) {
                return (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
            }
            ProxyConfig.Proxy p = proxy.get();
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(
                    new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.host(), p.port())));
            p.authorization().ifPresent(a -> c.setRequestProperty("Proxy-Authorization", a));
            return c;
        }
        HttpsURLConnection c = (HttpsURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        Optional<SSLContext> own = context(uri.getRawAuthority());
        Optional<SSLContext> tls = own.isEmpty() && !registryHost.equalsIgnoreCase(uri.getRawAuthority()) ? context(registryHost) : own;
        SSLSocketFactory plain = tls.map(SSLContext::getSocketFactory).orElseGet(HttpsURLConnection::getDefaultSSLSocketFactory);
        if (shared.factories.size() > MAX_FACTORIES) {
            shared.factories.clear(); // TLS material changed many times; live connections keep theirs
        }
        SSLSocketFactory base = plain;
        if (proxy.isPresent()) {
            base = shared.factories.computeIfAbsent(List.of(tls.map(Object.class::cast).orElse("default"), proxy.get()),
                    key -> new TunnelSocketFactory(plain, proxy.get()));
        } else if (tls.isPresent()) {
            base = shared.factories.computeIfAbsent(tls.get(), key -> plain);
        }
        c.setSSLSocketFactory(base);
        return c;
    }

    private Optional<SSLContext> context(String hostAndPort) {
        return contexts.computeIfAbsent(hostAndPort, host -> shared.certs.contextFor(certsDirs, host));
    }

    /**
     * {@code failure} of a request to {@code uri}, explained when the JDK hid why: its "Error writing to server"
     * drops the cause, which for TLS is often the registry's alert after the handshake (TLS 1.3 servers refuse a
     * missing client certificate only then). One short probe with the same TLS settings finds the alert.
     */
    public IOException explain(URI uri, String registryHost, IOException failure) {
        if (!"https".equalsIgnoreCase(uri.getScheme()) || !"Error writing to server".equals(failure.getMessage())) {
            return failure;
        }
        try {
            HttpsURLConnection c = (HttpsURLConnection) open(uri, registryHost);
            javax.net.ssl.SSLSocketFactory factory = c.getSSLSocketFactory();
            int port = uri.getPort() < 0 ? 443 : uri.getPort();
            java.net.Socket raw = factory.createSocket();
            try (raw) {
                raw.connect(new InetSocketAddress(uri.getHost(), port), PROBE_MILLIS);
                raw.setSoTimeout(PROBE_MILLIS);
                java.net.Socket tls = raw instanceof javax.net.ssl.SSLSocket ? raw : factory.createSocket(raw, uri.getHost(), port, true);
                try (tls) {
                    tls.getOutputStream().write(("GET /v2/ HTTP/1.1\r\nHost: " + uri.getRawAuthority() + "\r\nConnection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    tls.getOutputStream().flush();
                    tls.getInputStream().read();
                }
            }
        } catch (javax.net.ssl.SSLException alert) {
            return new IOException(failure.getMessage() + ": " + alert.getMessage(), alert);
        } catch (IOException | RuntimeException probeFailed) {
            // nothing more to learn
        }
        return failure;
    }
}
