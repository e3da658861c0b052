package io.crisp.ttrpc;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** Unix socket addresses as shims print them, and whole-buffer writes. */
public final class UnixSockets {
    private static final String UNIX_SCHEME = "unix://";

    private UnixSockets() {}

    /**
     * The socket path of an address: {@code unix:///run/x.sock} or a plain absolute path. Other
     * schemes (vsock, TCP) are refused with INVALID_ARGUMENT naming the address.
     */
    public static Path path(String address) {
        String trimmed = address.strip();
        String path = trimmed.startsWith(UNIX_SCHEME) ? trimmed.substring(UNIX_SCHEME.length()) : trimmed;
        if (!path.startsWith("/")) {
            throw new TtrpcException(Code.INVALID_ARGUMENT, "not a unix socket address: '" + address + "'");
        }
        return Path.of(path);
    }

    public static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Writes all of {@code buffer} on a blocking channel. */
    static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
