package io.crisp.core.image.registry.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The proxy variables read as Go's httpproxy package reads them (cases from its documented rules). */
final class ProxyConfigTest {
    private static String via(ProxyConfig config, String url) {
        return config.proxyFor(URI.create(url)).map(Object::toString).orElse("direct");
    }

    @Test
    void httpsAndHttpUseTheirOwnVariableAndUpperCaseWins() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://secure:3128", "https_proxy", "http://lower:1",
                "http_proxy", "plain:8080"));
        assertEquals("http://secure:3128", via(c, "https://registry.example.com/v2/"));
        assertEquals("http://plain:8080", via(c, "http://registry.example.com/v2/"));
        ProxyConfig onlyHttp = ProxyConfig.fromEnvironment(Map.of("HTTP_PROXY", "http://plain:8080"));
        assertEquals("direct", via(onlyHttp, "https://registry.example.com/"), "no fallback from HTTPS_PROXY to HTTP_PROXY");
        ProxyConfig emptyUpper = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "", "https_proxy", "http://lower:1"));
        assertEquals("http://lower:1", via(emptyUpper, "https://r.example.com/"), "an empty upper-case value does not hide the lower-case one");
        assertEquals("http://p:80", via(ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "p")), "https://r.example.com/"));
    }

    @Test
    void loopbackAndLocalhostAreNeverProxied() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:3128"));
        assertEquals("direct", via(c, "https://localhost:5000/"));
        assertEquals("direct", via(c, "https://127.0.0.1:5000/"));
        assertEquals("direct", via(c, "https://127.9.9.9/"));
        assertEquals("direct", via(c, "https://[::1]:5000/"));
        assertEquals("http://p:3128", via(c, "https://10.0.0.1:5000/"));
    }

    @Test
    void noProxyEntriesMatchAsGoMatchesThem() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:3128", "no_proxy",
                " example.com, .only-sub.org, *.star.net,exact.io:8443,10.1.2.3,192.168.0.0/16,[2001:db8::1]:443,,"));
        assertEquals("direct", via(c, "https://example.com/"));
        assertEquals("direct", via(c, "https://a.b.example.com/"));
        assertEquals("http://p:3128", via(c, "https://notexample.com/"));
        assertEquals("http://p:3128", via(c, "https://only-sub.org/"), ".domain matches subdomains only");
        assertEquals("direct", via(c, "https://x.only-sub.org/"));
        assertEquals("http://p:3128", via(c, "https://star.net/"), "*.domain matches subdomains only");
        assertEquals("direct", via(c, "https://x.star.net/"));
        assertEquals("direct", via(c, "https://exact.io:8443/"));
        assertEquals("http://p:3128", via(c, "https://exact.io/"), "a port entry needs that port (443 by default)");
        assertEquals("direct", via(c, "https://10.1.2.3:5000/"));
        assertEquals("http://p:3128", via(c, "https://10.1.2.4/"));
        assertEquals("direct", via(c, "https://192.168.200.7/"));
        assertEquals("http://p:3128", via(c, "https://192.169.0.1/"));
        assertEquals("direct", via(c, "https://[2001:db8::1]/"));
        assertEquals("http://p:3128", via(c, "https://[2001:db8::1]:5000/"));
        assertEquals("direct", via(c, "https://EXAMPLE.com/"), "case does not matter");
    }

    @Test
    void aStarTurnsProxiesOff() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://p:3128", "NO_PROXY", "*"));
        assertEquals("direct", via(c, "https://registry.example.com/"));
    }

    @Test
    void credentialsAreSentButNeverShown() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "http://alice:s%40cret@p:3128"));
        ProxyConfig.Proxy p = c.proxyFor(URI.create("https://r.example.com/")).orElseThrow();
        assertEquals("http://***@p:3128", p.toString());
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("alice:s@cret".getBytes()), p.authorization().orElseThrow());
        assertFalse(c.toString().contains("cret"), c.toString());
    }

    @Test
    void unsupportedProxySchemesFailThePullInsteadOfGoingDirect() {
        ProxyConfig c = ProxyConfig.fromEnvironment(Map.of("HTTPS_PROXY", "socks5://user:pw@p:1080"));
        BackendException e = assertThrows(BackendException.class, () -> c.proxyFor(URI.create("https://r.example.com/")));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().startsWith("HTTPS_PROXY names a socks5:// proxy; crisp supports http:// proxies only"), e.getMessage());
        assertFalse(e.getMessage().contains("pw"));
        assertEquals("direct", via(c, "https://localhost/"), "loopback is direct before the proxy is even looked at");
    }
}
