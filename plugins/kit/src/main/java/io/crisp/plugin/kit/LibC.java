package io.crisp.plugin.kit;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * The libc calls the JDK does not offer, one binding for every plugin: pseudo-terminals,
 * SOCK_SEQPACKET sockets, FIFOs (mkfifo, non-blocking open), poll and eventfd. Constants are
 * Linux's (the same on x86_64 and arm64). JNA keeps errno per thread: read it with {@link #errno()}
 * right after the failing call, or let {@link #check} do it. Overloads of one C function (open,
 * read, write) differ only in how Java passes the arguments; JNA looks the function up by name.
 */
public interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    int O_RDONLY = 0;
    int O_WRONLY = 01;
    int O_RDWR = 02;
    int O_NOCTTY = 0400;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;

    int EFD_NONBLOCK = 04000;
    int EFD_CLOEXEC = 02000000;

    int AF_UNIX = 1;
    int SOCK_SEQPACKET = 5;
    int SOCK_CLOEXEC = 02000000;
    int SHUT_WR = 1;
    int SHUT_RDWR = 2;
    int MSG_NOSIGNAL = 0x4000;

    int EINTR = 4;
    int EIO = 5;
    int ENXIO = 6;
    int EAGAIN = 11;
    int EEXIST = 17;

    short POLLIN = 0x1;
    short POLLOUT = 0x4;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    long TIOCSWINSZ = 0x5414;
    int TCSANOW = 0;

    int posix_openpt(int flags);

    int grantpt(int fd);

    int unlockpt(int fd);

    int ptsname_r(int fd, byte[] buf, NativeLong len);

    int mkfifo(String path, int mode);

    int open(String path, int flags);

    /** open is variadic; an int third argument is passed like a fixed one on x86_64 and arm64. */
    int open(String path, int flags, int mode);

    int close(int fd);

    NativeLong read(int fd, byte[] buf, NativeLong count);

    NativeLong read(int fd, Pointer buf, NativeLong count);

    NativeLong write(int fd, byte[] buf, NativeLong count);

    NativeLong write(int fd, Pointer buf, NativeLong count);

    /** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes per entry. */
    int poll(Pointer fds, NativeLong nfds, int timeoutMillis);

    int eventfd(int initval, int flags);

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

    /** The errno of this thread's last failed call through JNA. */
    static int errno() {
        return Native.getLastError();
    }

    /** Throws an IOException naming {@code what} and errno when {@code result} is negative. */
    static long check(long result, String what) throws IOException {
        if (result < 0) {
            int errno = Native.getLastError();
            throw new IOException(what + " failed: errno " + errno);
        }
        return result;
    }

    /** Waits up to {@code millis} until {@code fd} has {@code events}; false on timeout or EINTR. */
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
