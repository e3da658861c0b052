package io.crisp.plugin.kata.io;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The libc calls FIFO plumbing needs and the JDK lacks: mkfifo, non-blocking open, poll and eventfd.
 * Constants are Linux's (the same on x86_64 and arm64). JNA keeps errno per thread; read it with
 * {@link #errno()} right after the failing call.
 */
interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    int O_RDONLY = 0;
    int O_WRONLY = 01;
    int O_RDWR = 02;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;

    int EFD_NONBLOCK = 04000;
    int EFD_CLOEXEC = 02000000;

    int EINTR = 4;
    int ENXIO = 6;
    int EAGAIN = 11;
    int EEXIST = 17;

    short POLLIN = 0x1;
    short POLLOUT = 0x4;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    int mkfifo(String path, int mode);

    /** open is variadic; an int third argument is passed like a fixed one on x86_64 and arm64. */
    int open(String path, int flags, int mode);

    int close(int fd);

    NativeLong read(int fd, Pointer buf, NativeLong count);

    NativeLong write(int fd, Pointer buf, NativeLong count);

    /** {@code struct pollfd} is {int fd; short events; short revents}: 8 bytes per entry. */
    int poll(Pointer fds, NativeLong nfds, int timeoutMillis);

    int eventfd(int initval, int flags);

    static int errno() {
        return Native.getLastError();
    }
}
