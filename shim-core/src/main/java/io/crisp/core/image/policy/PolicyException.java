package io.crisp.core.image.policy;

/**
 * A policy.json or registries.d file that cannot be used as written; the loader adds the file's
 * name and answers FAILED_PRECONDITION (the node's configuration, not the request, is at fault).
 */
final class PolicyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private PolicyException(String message) {
        super(message);
    }

    static PolicyException invalid(String message) {
        return new PolicyException(message);
    }
}
