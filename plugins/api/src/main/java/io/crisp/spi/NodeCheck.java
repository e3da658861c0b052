package io.crisp.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One fact about this node that a handler depends on, as {@code crisp doctor} prints it and as the
 * handler's readiness in {@code Status} reports it (SPI 1.3): a binary present and its version, a
 * kernel feature, a device. A check that failed says why in words for people ({@code detail}), in
 * one CamelCase word for machines ({@code reason}, the handler's not-ready reason) and what to do
 * about it ({@code fix}).
 *
 * @param name what was checked, short (for example {@code "runtime binary"} or {@code "cgroup controllers"})
 * @param status OK, WARN (advisory: pods still run) or FAIL (the handler cannot run pods)
 * @param detail what was found: a path and version when OK, the problem otherwise
 * @param reason a CamelCase word when FAIL (for example {@code RuntimeBinaryMissing}), else empty
 * @param fix what to do, when WARN or FAIL (for example {@code "apt-get install runc, or set runtime_path"}), else empty
 */
public record NodeCheck(String name, Status status, String detail, String reason, String fix) {
    /** The outcome of a check. */
    public enum Status {
        /** Found as needed. */
        OK,
        /** Advisory: pods run, but something is degraded or worth a look. */
        WARN,
        /** The handler cannot run pods until this is fixed. */
        FAIL
    }

    public NodeCheck {
        requireNonNull(name, "name is null");
        requireNonNull(status, "status is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(fix, "fix is null");
        if (name.isBlank() || detail.isBlank()) {
            throw new IllegalArgumentException("a node check needs a name and a detail");
        }
        if (status == Status.FAIL && (reason.isBlank() || fix.isBlank())) {
            throw new IllegalArgumentException("failed check '" + name + "' must give a reason and a fix");
        }
        if (status == Status.WARN && fix.isBlank()) {
            throw new IllegalArgumentException("warning '" + name + "' must give a fix");
        }
    }

    public static NodeCheck ok(String name, String detail) {
        return new NodeCheck(name, Status.OK, detail, "", "");
    }

    public static NodeCheck warn(String name, String detail, String fix) {
        return new NodeCheck(name, Status.WARN, detail, "", fix);
    }

    public static NodeCheck fail(String name, String reason, String detail, String fix) {
        return new NodeCheck(name, Status.FAIL, detail, reason, fix);
    }

    public boolean failed() {
        return status == Status.FAIL;
    }

    /**
     * The check a backend that does not list its own checks gets from its {@link BackendHealth}:
     * OK when ready, else FAIL with the health's reason and message.
     */
    public static NodeCheck of(BackendHealth health) {
        if (health.ready()) {
            return ok("backend health", "the backend reports ready");
        }
        return fail("backend health", health.reason(), health.message(), "see the message");
    }

    /**
     * The readiness these checks amount to: not ready with the first failed check's reason, its
     * detail and fix as the message; ready when none failed (warnings do not count).
     */
    public static BackendHealth health(List<NodeCheck> checks) {
        for (NodeCheck c : checks) {
            if (c.failed()) {
                return BackendHealth.unhealthy(c.reason(), c.name() + ": " + c.detail() + " (fix: " + c.fix() + ")");
            }
        }
        return BackendHealth.healthy();
    }
}
