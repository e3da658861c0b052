package io.crisp.plugin.kit.conmon;

import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * conmon's control fifo ({@code BUNDLE/ctl}): one line {@code "TYPE HEIGHT WIDTH\n"} per message,
 * type 1 resizes the container's terminal (conmon passes height and width on to its winsz fifo and
 * sets them with TIOCSWINSZ), type 2 reopens the log files. Opened without blocking: when conmon is
 * gone nobody reads the fifo, and a plain open would wait forever; here it fails with ENXIO.
 */
final class ControlFifo {
    static final int RESIZE = 1;

    private ControlFifo() {}

    static void send(Path ctl, int type, int height, int width) throws IOException {
        byte[] line = (type + " " + height + " " + width + "\n").getBytes(StandardCharsets.US_ASCII);
        int fd = LibC.C.open(ctl.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = Native.getLastError();
            throw new IOException(errno == LibC.ENXIO ? "conmon does not read " + ctl : "open " + ctl + " failed: errno " + errno);
        }
        try {
            // A line this short is written at once (PIPE_BUF) or not at all.
            LibC.check(LibC.C.write(fd, line, new NativeLong(line.length)).longValue(), "write to " + ctl);
        } finally {
            LibC.C.close(fd);
        }
    }
}
