package io.crisp.core.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few libc calls the JDK lacks (namespaces, AF_UNIX datagram sockets, mounts), bound once for the
 * daemon. {@code size_t}/{@code ssize_t} map to {@code long}: Linux on 64-bit targets only.
 */
public interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int AF_UNIX = 1;
    int SOCK_DGRAM = 2;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    int MSG_NOSIGNAL = 0x4000;
    int EAGAIN = 11;
    int ENOENT = 2;
    int EBUSY = 16;
    int EINVAL = 22;
    long MS_RDONLY = 1;
    int MNT_DETACH = 2;
    long MS_BIND = 4096;
    int CLONE_NEWUTS = 0x04000000;
    int CLONE_NEWIPC = 0x08000000;
    int CLONE_NEWNET = 0x40000000;
    int O_RDONLY = 0;
    int O_CLOEXEC = 0x80000;

    int open(String path, int flags) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, byte[] address, int addressLength) throws LastErrorException;

    long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength) throws LastErrorException;

    long recv(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

    int mount(String source, String target, String type, long flags, String data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    /** Namespaces of the calling thread only (IPC, UTS and network are per thread). */
    int unshare(int flags) throws LastErrorException;

    int sethostname(byte[] name, long length) throws LastErrorException;
}
