package io.crisp.core.server;

import io.crisp.spi.BackendException;
import java.io.IOException;
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
    /** strerror(ENOSPC) and strerror(EDQUOT), lower case: the JDK capitalises them, Go programs such as runc do not. */
    static final String ENOSPC = "no space left on device";
    static final String EDQUOT = "disk quota exceeded";

    private DiskFull() {}

    /**
     * True when {@code error} or one of its causes says the disk or the quota is full: the reason of a
     * {@link FileSystemException}, the message of another {@link IOException} (the C library's text),
     * or the message of a {@link BackendException} of a kind that is not about the caller's request
     * (a plugin's). Not the message of any other exception, which may quote what a caller sent.
     */
    static boolean isCause(Throwable error) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            String text = t instanceof FileSystemException fse ? fse.getReason()
                    : t instanceof IOException || t instanceof BackendException be && !CALLERS.contains(be.kind()) ? t.getMessage() : null;
            String lower = text == null ? "" : text.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains(ENOSPC) || lower.contains(EDQUOT)) {
                return true;
            }
        }
        return false;
    }

    /** Kinds whose message is about the request, and may quote it. */
    private static final java.util.Set<BackendException.Kind> CALLERS = java.util.EnumSet.of(BackendException.Kind.INVALID_ARGUMENT,
            BackendException.Kind.NOT_FOUND, BackendException.Kind.ALREADY_EXISTS);

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
