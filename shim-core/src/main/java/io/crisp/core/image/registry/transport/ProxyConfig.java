package io.crisp.core.image.registry.transport;

import io.crisp.spi.BackendException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The proxy for a request URL, from {@code HTTPS_PROXY}, {@code HTTP_PROXY} and {@code NO_PROXY} (or their
 * lower-case forms; the upper-case one wins when both are set and non-empty), read as Go's
 * {@code net/http.ProxyFromEnvironment} (golang.org/x/net/http/httpproxy) reads them, so a node's proxy settings
 * mean the same to crisp as to CRI-O, containerd and Podman:
 * <ul>
 *   <li>{@code https://} requests use {@code HTTPS_PROXY}, {@code http://} requests {@code HTTP_PROXY}; no
 *       fallback from one to the other. A value without a scheme ({@code proxy:3128}) means {@code http://}.</li>
 *   <li>{@code localhost} and loopback addresses never go through a proxy.</li>
 *   <li>{@code NO_PROXY} is a comma-separated list: {@code *} (no proxy at all), an IP ({@code 10.0.0.1}), a CIDR
 *       ({@code 10.0.0.0/8}), a domain ({@code example.com} matches it and its subdomains; {@code .example.com} and
 *       {@code *.example.com} only its subdomains), each optionally with {@code :port} (IP and domain entries only),
 *       compared with the request's port (443 or 80 when the URL has none).</li>
 * </ul>
 * Only {@code http://} proxies are supported (CONNECT for https requests); an {@code https://} or {@code socks5://}
 * proxy is refused with a clear error at pull time, never bypassed. Credentials in the proxy URL
 * ({@code http://user:password@proxy:3128}) are sent as {@code Proxy-Authorization: Basic} and never appear in
 * {@link #toString()}, a log line or an error.
 */
public final class ProxyConfig {
    /** No proxy for anything: what a daemon started without the variables uses. */
    public static final ProxyConfig NONE = new ProxyConfig(null, null, List.of(), false);

    /** A proxy to send a request through; {@link #toString()} leaves the credentials out. */
    public record Proxy(String host, int port, Optional<String> authorization, String problem) {
        /** Fails with FAILED_PRECONDITION when the variable's value cannot be used. */
        Proxy usable() {
            if (problem != null) {
                throw new BackendException(BackendException.Kind.FAILED_PRECONDITION, problem);
            }
            return this;
        }

        @Override
        public String toString() {
            return "http://" + (authorization.isPresent() ? "***@" : "") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final Proxy https;
    private final Proxy http;
    private final List<Matcher> noProxy;
    private final boolean noProxyAll;

    private ProxyConfig(Proxy https, Proxy http, List<Matcher> noProxy, boolean noProxyAll) {
        this.https = https;
        this.http = http;
        this.noProxy = noProxy;
        this.noProxyAll = noProxyAll;
    }

    /** The daemon's own environment. */
    public static ProxyConfig fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static ProxyConfig fromEnvironment(Map<String, String> env) {
        String httpsValue = first(env, "HTTPS_PROXY", "https_proxy");
        String httpValue = first(env, "HTTP_PROXY", "http_proxy");
        List<Matcher> matchers = new ArrayList<>();
        boolean all = false;
        for (String raw : first(env, "NO_PROXY", "no_proxy").split(",")) {
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                all = true;
                break;
            }
            Matcher m = Matcher.parse(entry);
            if (m != null) {
                matchers.add(m);
            }
        }
        return new ProxyConfig(parse(httpsValue, "HTTPS_PROXY"), parse(httpValue, "HTTP_PROXY"), List.copyOf(matchers), all);
    }

    /** Whether any proxy variable is set. */
    public boolean isEmpty() {
        return https == null && http == null;
    }

    /**
     * The proxy for {@code uri}, or empty to connect directly.
     *
     * @throws BackendException FAILED_PRECONDITION when the applicable variable holds an unusable proxy
     */
    public Optional<Proxy> proxyFor(URI uri) {
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
        Proxy proxy = scheme.equals("https") ? https : scheme.equals("http") ? http : null;
        if (proxy == null || !useProxy(uri, scheme)) {
            return Optional.empty();
        }
        return Optional.of(proxy.usable());
    }

    private boolean useProxy(URI uri, String scheme) {
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty()) {
            return true;
        }
        if (host.equals("localhost")) {
            return false;
        }
        InetAddress ip = literal(host);
        if (ip != null && ip.isLoopbackAddress()) {
            return false;
        }
        if (noProxyAll) {
            return false;
        }
        String port = Integer.toString(uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80);
        for (Matcher m : noProxy) {
            if (m.matches(host, ip, port)) {
                return false;
            }
        }
        return true;
    }

    /** One NO_PROXY entry. */
    private record Matcher(InetAddress ip, int prefix, String domain, boolean matchesItself, String port) {
        static Matcher parse(String entry) {
            int slash = entry.indexOf('/');
            if (slash > 0) {
                InetAddress network = literal(entry.substring(0, slash));
                try {
                    int prefix = Integer.parseInt(entry.substring(slash + 1));
                    if (network != null && prefix >= 0 && prefix <= network.getAddress().length * 8) {
                        return new Matcher(network, prefix, null, false, "");
                    }
                } catch (NumberFormatException e) {
                    // not a CIDR: Go ignores what it cannot parse as one and reads it as a domain
                }
            }
            String host = entry;
            String port = "";
            int colon = entry.lastIndexOf(':');
            if (entry.startsWith("[") && entry.contains("]")) {
                host = entry.substring(1, entry.indexOf(']'));
                port = entry.indexOf("]:") > 0 ? entry.substring(entry.indexOf("]:") + 2) : "";
            } else if (colon > 0 && entry.indexOf(':') == colon) {
                host = entry.substring(0, colon);
                port = entry.substring(colon + 1);
            } else if (colon == 0) {
                return null; // ":80" has no host: Go skips it
            }
            InetAddress ip = literal(host);
            if (ip != null) {
                return new Matcher(ip, -1, null, false, port);
            }
            if (host.isEmpty()) {
                return null;
            }
            if (host.startsWith("*.")) {
                host = host.substring(1);
            }
            boolean itself = !host.startsWith(".");
            return new Matcher(null, -1, itself ? "." + host : host, itself, port);
        }

        boolean matches(String host, InetAddress hostIp, String requestPort) {
            if (domain == null) {
                if (hostIp == null) {
                    return false;
                }
                if (prefix >= 0) {
                    return inNetwork(hostIp);
                }
                return ip.equals(hostIp) && (port.isEmpty() || port.equals(requestPort));
            }
            boolean named = host.endsWith(domain) || (matchesItself && host.equals(domain.substring(1)));
            return named && (port.isEmpty() || port.equals(requestPort));
        }

        private boolean inNetwork(InetAddress candidate) {
            byte[] a = ip.getAddress();
            byte[] b = candidate.getAddress();
            if (a.length != b.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The address {@code text} spells as an IPv4 or IPv6 literal, or null for a name (never a DNS lookup). */
    static InetAddress literal(String text) {
        boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = text.contains(":") && text.matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(text); // a literal: parsed, not resolved
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String first(Map<String, String> env, String upper, String lower) {
        String value = env.get(upper);
        if (value == null || value.isEmpty()) {
            value = env.get(lower);
        }
        return value == null ? "" : value;
    }

    private static Proxy parse(String value, String variable) {
        if (value.isEmpty()) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(value.contains("://") ? value : "http://" + value);
        } catch (URISyntaxException e) {
            return new Proxy("", 0, Optional.empty(), variable + " is not a URL (expected http://[user:password@]host:port)");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (!scheme.equals("http")) {
            return new Proxy(host == null ? "" : host, 0, Optional.empty(), variable + " names a " + scheme
                    + ":// proxy; crisp supports http:// proxies only (https requests are tunnelled through them with CONNECT)");
        }
        if (host == null || host.isEmpty()) {
            return new Proxy("", 0, Optional.empty(), variable + " has no proxy host (expected http://[user:password@]host:port)");
        }
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        Optional<String> auth = Optional.ofNullable(uri.getRawUserInfo()).map(info -> "Basic " + Base64.getEncoder()
                .encodeToString(decode(info).getBytes(StandardCharsets.UTF_8)));
        return new Proxy(host, uri.getPort() >= 0 ? uri.getPort() : 80, auth, null);
    }

    /** {@code user:password} with its percent-escapes decoded, as Go's url.UserPassword gives them. */
    private static String decode(String rawUserInfo) {
        return java.net.URLDecoder.decode(rawUserInfo.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "https: " + (https == null ? "direct" : https) + ", http: " + (http == null ? "direct" : http)
                + (noProxyAll ? ", no proxy for any host" : noProxy.isEmpty() ? "" : ", " + noProxy.size() + " NO_PROXY entries");
    }
}
