package io.crisp.core.os;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * An AF_UNIX datagram socket (the JDK has only stream ones). An address is a filesystem path, or
 * an abstract-namespace name written with a leading {@code @} as systemd writes it in
 * {@code $NOTIFY_SOCKET}.
 */
public final class UnixDatagram implements AutoCloseable {
    /** {@code sizeof(sun_path)} on Linux. */
    static final int SUN_PATH = 108;

    private final int fd;
    private boolean closed;

    private UnixDatagram(int fd) {
        this.fd = fd;
    }

    /** An unbound socket, for sending. */
    public static UnixDatagram open() throws IOException {
        try {
            return new UnixDatagram(LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0));
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + e.getErrorCode(), e);
        }
    }

    /** A socket bound to {@code address}, for receiving. */
    public static UnixDatagram bind(String address) throws IOException {
        byte[] sockaddr = sockaddr(address);
        UnixDatagram socket = open();
        try {
            LibC.INSTANCE.bind(socket.fd, sockaddr, sockaddr.length);
        } catch (LastErrorException e) {
            socket.close();
            throw new IOException("bind " + address + ": errno " + e.getErrorCode(), e);
        }
        return socket;
    }

    /**
     * The {@code struct sockaddr_un} for {@code address}, exactly as long as the kernel must see it:
     * a path with its terminating NUL; an abstract name ({@code @name}) as a NUL then the name's
     * bytes with no terminator, since every byte of an abstract name counts.
     */
    static byte[] sockaddr(String address) {
        if (address == null || address.isEmpty() || address.equals("@")) {
            throw new IllegalArgumentException("empty AF_UNIX address");
        }
        boolean abstractName = address.charAt(0) == '@';
        byte[] name = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        if (!abstractName && !address.startsWith("/")) {
            throw new IllegalArgumentException("AF_UNIX address is neither absolute nor abstract (@name): " + address);
        }
        // A path needs room for its NUL; an abstract name for the leading NUL.
        if (name.length + 1 > SUN_PATH) {
            throw new IllegalArgumentException("AF_UNIX address longer than " + (SUN_PATH - 1) + " bytes: " + address);
        }
        ByteBuffer buffer = ByteBuffer.allocate(2 + 1 + name.length).order(ByteOrder.nativeOrder());
        buffer.putShort((short) LibC.AF_UNIX);
        if (abstractName) {
            buffer.put((byte) 0).put(name);
        } else {
            buffer.put(name).put((byte) 0);
        }
        return buffer.array();
    }

    /** Sends one datagram to {@code address}. */
    public void send(String address, byte[] message) throws IOException {
        byte[] sockaddr = sockaddr(address);
        try {
            long sent = LibC.INSTANCE.sendto(fd, message, message.length, LibC.MSG_NOSIGNAL, sockaddr, sockaddr.length);
            if (sent != message.length) {
                throw new IOException("sendto " + address + ": sent " + sent + " of " + message.length + " bytes");
            }
        } catch (LastErrorException e) {
            throw new IOException("sendto " + address + ": errno " + e.getErrorCode(), e);
        }
    }

    /** The next datagram, or empty when none arrives within {@code timeout} (at least 1 ms). */
    public Optional<byte[]> receive(Duration timeout) throws IOException {
        long micros = Math.max(1000, timeout.toNanos() / 1000);
        byte[] timeval = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putLong(micros / 1_000_000).putLong(micros % 1_000_000).array();
        byte[] buffer = new byte[64 * 1024];
        try {
            LibC.INSTANCE.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeval, timeval.length);
            long length = LibC.INSTANCE.recv(fd, buffer, buffer.length, 0);
            return Optional.of(Arrays.copyOf(buffer, (int) length));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EAGAIN) {
                return Optional.empty();
            }
            throw new IOException("recv: errno " + e.getErrorCode(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.INSTANCE.close(fd);
        }
    }
}
