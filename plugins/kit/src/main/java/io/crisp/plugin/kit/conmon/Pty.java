package io.crisp.plugin.kit.conmon;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A pseudo-terminal pair from {@code posix_openpt}. The master stays with the backend; a child gets
 * the slave by its path ({@code /dev/pts/N}). Until {@link #closeSlave} the backend holds the
 * slave open too, so that reading the master does not fail before the child opened it. The slave
 * starts in raw mode: whatever runs on it (runc in tty mode) makes it raw anyway, and this way
 * input written early is not echoed or held back by line editing.
 *
 * <p>Reading the master ends (-1) when every holder of the slave closed it: Linux then fails the
 * read with EIO.
 */
final class Pty implements AutoCloseable {
    /** Checked between blocking waits, so reads and writes end soon after {@link #close}. */
    private static final int POLL_MILLIS = 200;

    private final NativeFd master;
    private final Path slavePath;
    private int slave = -1;

    private Pty(NativeFd master, Path slavePath) {
        this.master = master;
        this.slavePath = slavePath;
    }

    static Pty open() throws IOException {
        int m = (int) LibC.check(LibC.C.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC), "posix_openpt");
        Pty pty = null;
        try {
            LibC.check(LibC.C.grantpt(m), "grantpt");
            LibC.check(LibC.C.unlockpt(m), "unlockpt");
            byte[] name = new byte[128];
            LibC.check(-LibC.C.ptsname_r(m, name, new NativeLong(name.length)), "ptsname_r");
            int end = 0;
            while (end < name.length && name[end] != 0) {
                end++;
            }
            pty = new Pty(new NativeFd(m, "pty master"), Path.of(new String(name, 0, end, StandardCharsets.US_ASCII)));
            pty.slave = (int) LibC.check(LibC.C.open(pty.slavePath.toString(), LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC),
                    "open " + pty.slavePath);
            makeRaw(pty.slave);
            return pty;
        } catch (IOException | RuntimeException e) {
            if (pty != null) {
                pty.close();
            } else {
                LibC.C.close(m);
            }
            throw e;
        }
    }

    private static void makeRaw(int fd) throws IOException {
        try (Memory termios = new Memory(256)) {
            termios.clear();
            LibC.check(LibC.C.tcgetattr(fd, termios), "tcgetattr");
            LibC.C.cfmakeraw(termios);
            LibC.check(LibC.C.tcsetattr(fd, LibC.TCSANOW, termios), "tcsetattr");
        }
    }

    Path slavePath() {
        return slavePath;
    }

    /** Drops the backend's own hold on the slave, once the child has it open. */
    synchronized void closeSlave() {
        if (slave >= 0) {
            LibC.C.close(slave);
            slave = -1;
        }
    }

    /** Sets the window size on the master; the slave's foreground process group gets SIGWINCH. */
    void resize(int width, int height) throws IOException {
        int fd = master.acquire();
        try (Memory winsize = new Memory(8)) {
            winsize.clear();
            winsize.setShort(0, (short) height);
            winsize.setShort(2, (short) width);
            LibC.check(LibC.C.ioctl(fd, new NativeLong(LibC.TIOCSWINSZ), winsize), "ioctl TIOCSWINSZ");
        } finally {
            master.release();
        }
    }

    /** Reads what the terminal shows, up to {@code len} bytes; -1 once the slave side is closed. */
    int read(byte[] buf, int off, int len) throws IOException {
        byte[] chunk = off == 0 ? buf : new byte[len];
        while (true) {
            int fd;
            try {
                fd = master.acquire();
            } catch (IOException closed) {
                return -1;
            }
            try {
                if (!LibC.poll(fd, LibC.POLLIN, POLL_MILLIS)) {
                    continue;
                }
                long n = LibC.C.read(fd, chunk, new NativeLong(len)).longValue();
                if (n < 0) {
                    int errno = Native.getLastError();
                    if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                        continue;
                    }
                    if (errno == LibC.EIO) {
                        return -1;
                    }
                    throw new IOException("read from pty master failed: errno " + errno);
                }
                if (n == 0) {
                    return -1;
                }
                if (chunk != buf) {
                    System.arraycopy(chunk, 0, buf, off, (int) n);
                }
                return (int) n;
            } finally {
                master.release();
            }
        }
    }

    /** Writes all of {@code data} as terminal input. */
    void write(byte[] data, int off, int len) throws IOException {
        while (len > 0) {
            int fd = master.acquire();
            try {
                if (!LibC.poll(fd, LibC.POLLOUT, POLL_MILLIS)) {
                    continue;
                }
                byte[] chunk = off == 0 ? data : java.util.Arrays.copyOfRange(data, off, off + len);
                long n = LibC.C.write(fd, chunk, new NativeLong(len)).longValue();
                if (n < 0) {
                    int errno = Native.getLastError();
                    if (errno == LibC.EINTR || errno == LibC.EAGAIN) {
                        continue;
                    }
                    throw new IOException("write to pty master failed: errno " + errno);
                }
                off += (int) n;
                len -= (int) n;
            } finally {
                master.release();
            }
        }
    }

    InputStream input() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return Pty.this.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : Pty.this.read(b, off, len);
            }
        };
    }

    @Override
    public void close() {
        closeSlave();
        master.close();
    }
}
