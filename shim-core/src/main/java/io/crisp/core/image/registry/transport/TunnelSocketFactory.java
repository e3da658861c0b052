package io.crisp.core.image.registry.transport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLSocketFactory;

/**
 * TLS through an HTTP proxy's CONNECT tunnel, with the proxy's Basic credentials sent on the CONNECT itself (as
 * Go does): {@link javax.net.ssl.HttpsURLConnection} opens an unconnected socket from this factory and connects it
 * to the registry; the socket connects to the proxy instead and asks it for a tunnel; the connection then layers
 * TLS over it with {@link #createSocket(Socket, String, int, boolean)}. Done here rather than by the JDK's own
 * proxy support, which sends credentials only after a 407 and only when Basic tunnelling is enabled JVM-wide.
 * The proxy's credentials appear in no message.
 */
final class TunnelSocketFactory extends SSLSocketFactory {
    private static final int MAX_HEADER_BYTES = 16 << 10;
    private final SSLSocketFactory tls;
    private final ProxyConfig.Proxy proxy;

    TunnelSocketFactory(SSLSocketFactory tls, ProxyConfig.Proxy proxy) {
        this.tls = tls;
        this.proxy = proxy;
    }

    @Override
    public Socket createSocket() {
        return new TunnelSocket();
    }

    @Override
    public Socket createSocket(Socket tunnel, String host, int port, boolean autoClose) throws IOException {
        return tls.createSocket(tunnel, host, port, autoClose);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket s = createSocket();
        s.connect(InetSocketAddress.createUnresolved(host, port));
        return tls.createSocket(s, host, port, true);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return createSocket(host.getHostAddress(), port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return createSocket(address.getHostAddress(), port);
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return tls.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return tls.getSupportedCipherSuites();
    }

    /** A plain socket whose connect goes to the proxy and opens a CONNECT tunnel to the address asked for. */
    private final class TunnelSocket extends Socket {
        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            InetSocketAddress target = (InetSocketAddress) endpoint;
            super.connect(new InetSocketAddress(proxy.host(), proxy.port()), timeout);
            if (timeout > 0 && getSoTimeout() == 0) {
                setSoTimeout(timeout); // the proxy's answer must come within the connect timeout too
            }
            String authority = authority(target.getHostString(), target.getPort());
            StringBuilder request = new StringBuilder()
                    .append("CONNECT ").append(authority).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(authority).append("\r\n")
                    .append("User-Agent: crisp\r\n");
            proxy.authorization().ifPresent(a -> request.append("Proxy-Authorization: ").append(a).append("\r\n"));
            request.append("\r\n");
            OutputStream out = getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = readHead(getInputStream());
            String[] parts = status.split(" ", 3);
            String code = parts.length >= 2 && parts[0].startsWith("HTTP/") ? parts[1] : "";
            if (!code.equals("200")) {
                close();
                String answer = code.isEmpty() ? status : "HTTP " + code + (parts.length > 2 ? " " + parts[2] : "");
                String hint = !code.equals("407") && !code.equals("401") ? ""
                        : proxy.authorization().isPresent() ? " (it refused the credentials in the proxy URL)"
                        : " (it wants credentials: http://user:password@host:port)";
                throw new IOException("proxy " + proxy + " refused to tunnel to " + authority + ": " + answer + hint);
            }
        }

        /** Reads the proxy's answer up to its blank line, byte by byte: what follows belongs to TLS. */
        private String readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("proxy " + proxy + " closed the connection before answering CONNECT");
                }
                head.write(b);
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                if (head.size() > MAX_HEADER_BYTES) {
                    throw new IOException("proxy " + proxy + " sent an answer to CONNECT larger than " + MAX_HEADER_BYTES + " bytes");
                }
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            return text.substring(0, text.indexOf("\r\n"));
        }
    }

    private static String authority(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
