package io.crisp.plugin.kit.conmon;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A connected AF_UNIX SOCK_SEQPACKET socket, which the JDK cannot open. Paths of any length work:
 * the socket file is opened with O_PATH and the connection goes to {@code /proc/self/fd/N}, which
 * stays well inside the 108 bytes of {@code sun_path}.
 */
final class SeqpacketSocket implements AutoCloseable {
    private static final int SUN_PATH_MAX = 108;

    private final NativeFd fd;

    private SeqpacketSocket(NativeFd fd) {
        this.fd = fd;
    }

    static SeqpacketSocket connect(Path path) throws IOException {
        int file = (int) LibC.check(LibC.C.open(path.toString(), LibC.O_PATH | LibC.O_CLOEXEC), "open " + path);
        int s = -1;
        try {
            s = (int) LibC.check(LibC.C.socket(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0), "socket");
            byte[] name = ("/proc/self/fd/" + file).getBytes(StandardCharsets.US_ASCII);
            try (Memory addr = new Memory(2 + SUN_PATH_MAX)) {
                addr.clear();
                addr.setShort(0, (short) LibC.AF_UNIX);
                addr.write(2, name, 0, name.length);
                int r;
                do {
                    r = LibC.C.connect(s, addr, 2 + name.length + 1);
                } while (r < 0 && Native.getLastError() == LibC.EINTR);
                LibC.check(r, "connect to " + path);
            }
            SeqpacketSocket socket = new SeqpacketSocket(new NativeFd(s, "socket " + path));
            s = -1;
            return socket;
        } finally {
            LibC.C.close(file);
            if (s >= 0) {
                LibC.C.close(s);
            }
        }
    }

    /**
     * Receives one packet into {@code buf} (a longer packet is cut to its size); 0 once the peer
     * closed or this socket was shut down.
     */
    int receive(byte[] buf) throws IOException {
        int f;
        try {
            f = fd.acquire();
        } catch (IOException closed) {
            return 0;
        }
        try {
            while (true) {
                long n = LibC.C.recv(f, buf, new NativeLong(buf.length), 0).longValue();
                if (n >= 0) {
                    return (int) n;
                }
                int errno = Native.getLastError();
                if (errno != LibC.EINTR) {
                    throw new IOException("recv failed: errno " + errno);
                }
            }
        } finally {
            fd.release();
        }
    }

    /** Sends {@code data[off, off+len)} as one packet. */
    void send(byte[] data, int off, int len) throws IOException {
        byte[] packet = off == 0 && len == data.length ? data : Arrays.copyOfRange(data, off, off + len);
        int f = fd.acquire();
        try {
            while (true) {
                long n = LibC.C.send(f, packet, new NativeLong(len), LibC.MSG_NOSIGNAL).longValue();
                if (n >= 0) {
                    return;
                }
                int errno = Native.getLastError();
                if (errno != LibC.EINTR) {
                    throw new IOException("send failed: errno " + errno);
                }
            }
        } finally {
            fd.release();
        }
    }

    /** shutdown(2): {@link LibC#SHUT_WR} tells the peer no more data comes; SHUT_RDWR also ends a blocked receive. */
    void shutdown(int how) {
        try {
            int f = fd.acquire();
            try {
                LibC.C.shutdown(f, how);
            } finally {
                fd.release();
            }
        } catch (IOException closed) {
            // Closed already: nothing to shut down.
        }
    }

    @Override
    public void close() {
        shutdown(LibC.SHUT_RDWR);
        fd.close();
    }
}
