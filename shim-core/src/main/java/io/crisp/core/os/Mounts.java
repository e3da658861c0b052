package io.crisp.core.os;

import com.sun.jna.LastErrorException;
import java.io.IOException;

/**
 * Mounts and unmounts with the system calls themselves rather than mount(8) and umount(8): each of
 * those is a process start plus libmount's own reading of the mount table, tens of milliseconds on
 * a loaded node, paid on every CreateContainer and RemoveContainer.
 */
public final class Mounts {
    /** mount(2) reads the options from one page (mount(8) of Debian 12 has the same limit). */
    public static final int MAX_OPTIONS = 4095;

    private Mounts() {}

    /**
     * Mounts an overlay at {@code target} with {@code options} (overlay's own: lowerdir, upperdir,
     * workdir), read-only when asked.
     *
     * @throws IOException naming the target and the kernel's error, or options longer than {@link #MAX_OPTIONS}
     *     (too many layers), which the kernel would cut short
     */
    public static void overlay(String target, String options, boolean readOnly) throws IOException {
        if (options.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_OPTIONS) {
            throw new IOException("mount -t overlay on " + target + ": its options take " + options.length()
                    + " bytes, more than the one page mount(2) reads (too many layers)");
        }
        try {
            LibC.INSTANCE.mount("overlay", target, "overlay", readOnly ? LibC.MS_RDONLY : 0, options);
        } catch (LastErrorException e) {
            throw new IOException("mount -t overlay on " + target + " failed: " + e.getMessage());
        }
    }

    /**
     * Unmounts the topmost mount at {@code target} if there is one (busy: detached, as
     * {@link #unmountOrDetach}); false if {@code target} is not a mount point ({@code EINVAL}) or does
     * not exist. Calling it until it returns false unmounts a stack of mounts without reading
     * mountinfo.
     *
     * @throws IOException naming the target and the kernel's error
     */
    public static boolean unmountIfMounted(String target) throws IOException {
        try {
            LibC.INSTANCE.umount2(target, 0);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINVAL || e.getErrorCode() == LibC.ENOENT) {
                return false;
            }
            if (e.getErrorCode() != LibC.EBUSY) {
                throw new IOException("umount " + target + " failed: " + e.getMessage());
            }
        }
        try {
            LibC.INSTANCE.umount2(target, LibC.MNT_DETACH);
            return true;
        } catch (LastErrorException e) {
            throw new IOException("umount " + target + " failed: busy; lazily: " + e.getMessage());
        }
    }

    /**
     * Unmounts {@code target}; when it is busy (a process still uses it), detaches it instead, as
     * {@code umount -l} does.
     *
     * @throws IOException naming the target and the kernel's error (EINVAL: not a mount point)
     */
    public static void unmountOrDetach(String target) throws IOException {
        try {
            LibC.INSTANCE.umount2(target, 0);
        } catch (LastErrorException busy) {
            if (busy.getErrorCode() != LibC.EBUSY) {
                throw new IOException("umount " + target + " failed: " + busy.getMessage());
            }
            try {
                LibC.INSTANCE.umount2(target, LibC.MNT_DETACH);
            } catch (LastErrorException e) {
                throw new IOException("umount " + target + " failed: " + busy.getMessage() + "; lazily: " + e.getMessage());
            }
        }
    }
}
