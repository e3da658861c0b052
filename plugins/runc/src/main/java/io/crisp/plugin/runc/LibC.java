package io.crisp.plugin.runc;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * The few libc calls the JDK does not offer: pseudo-terminals and SOCK_SEQPACKET sockets. Constants
 * are Linux's (identical on x86_64 and arm64). Every call's errno is kept by JNA per thread and read
 * back through {@link #check}.
 */
interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    int O_WRONLY = 01;
    int O_RDWR = 02;
    int O_NONBLOCK = 04000;
    int O_NOCTTY = 0400;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;
    int AF_UNIX = 1;
    int SOCK_SEQPACKET = 5;
    int SOCK_CLOEXEC = 02000000;
    int SHUT_WR = 1;
    int SHUT_RDWR = 2;
    int MSG_NOSIGNAL = 0x4000;
    int EINTR = 4;
    int EIO = 5;
    int EAGAIN = 11;
    int ENXIO = 6;
    short POLLIN = 0x1;
    short POLLOUT = 0x4;
    long TIOCSWINSZ = 0x5414;
    int TCSANOW = 0;

    int posix_openpt(int flags);

    int grantpt(int fd);

    int unlockpt(int fd);

    int ptsname_r(int fd, byte[] buf, NativeLong len);

    int open(String path, int flags);

    int close(int fd);

    NativeLong read(int fd, byte[] buf, NativeLong count);

    NativeLong write(int fd, byte[] buf, NativeLong count);

    /** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes per entry. */
    int poll(Pointer fds, NativeLong nfds, int timeoutMillis);

    /** ioctl is variadic; a pointer third argument is passed like a fixed one on x86_64 and arm64. */
    int ioctl(int fd, NativeLong request, Pointer arg);

    int tcgetattr(int fd, Pointer termios);

    int tcsetattr(int fd, int when, Pointer termios);

    void cfmakeraw(Pointer termios);

    int socket(int domain, int type, int protocol);

    int connect(int fd, Pointer addr, int len);

    NativeLong recv(int fd, byte[] buf, NativeLong len, int flags);

    NativeLong send(int fd, byte[] buf, NativeLong len, int flags);

    int shutdown(int fd, int how);

    /** Throws an IOException naming {@code what} and errno when {@code result} is negative. */
    static long check(long result, String what) throws IOException {
        if (result < 0) {
            int errno = Native.getLastError();
            throw new IOException(what + " failed: errno " + errno);
        }
        return result;
    }

    /** Waits up to {@code millis} until {@code fd} has {@code events}; false on timeout. */
    static boolean poll(int fd, short events, int millis) throws IOException {
        try (Memory pfd = new Memory(8)) {
            pfd.clear();
            pfd.setInt(0, fd);
            pfd.setShort(4, events);
            int n = C.poll(pfd, new NativeLong(1), millis);
            if (n < 0 && Native.getLastError() == EINTR) {
                return false;
            }
            check(n, "poll");
            return n > 0;
        }
    }
}
