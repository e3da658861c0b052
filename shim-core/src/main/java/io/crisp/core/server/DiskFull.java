package io.crisp.core.server;

import java.nio.file.FileSystemException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Recognises a failure caused by a full file system (ENOSPC) or an exhausted quota (EDQUOT),
 * however deeply it is wrapped: the JDK reports both only as the C library's text, on an
 * {@link java.io.IOException} or a {@link FileSystemException} naming the file, and the store and
 * the plugins pass that text on in their own exceptions (a plugin's {@code BackendException}
 * carries it in its message, since its cause may come from another class loader).
 */
final class DiskFull {
    static final String ENOSPC = "No space left on device";
    static final String EDQUOT = "Disk quota exceeded";

    private DiskFull() {}

    /** True when {@code error} or one of its causes says the disk or the quota is full. */
    static boolean isCause(Throwable error) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && (message.contains(ENOSPC) || message.contains(EDQUOT))) {
                return true;
            }
            if (t instanceof FileSystemException fse && fse.getReason() != null
                    && (fse.getReason().contains(ENOSPC) || fse.getReason().contains(EDQUOT))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The text for the caller: {@code error}'s message, followed by the file a cause names when the
     * message does not name it already, so the answer always says where the space ran out.
     */
    static String describe(Throwable error) {
        String message = error.getMessage() == null ? error.toString() : error.getMessage();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            if (t instanceof FileSystemException fse && fse.getFile() != null && !message.contains(fse.getFile())) {
                return message + " (writing " + fse.getFile() + ")";
            }
        }
        return message;
    }
}
