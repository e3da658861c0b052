package io.crisp.core.config;

/**
 * A configuration the daemon refuses: bad TOML, an unknown key, a wrong type, a dangling reference.
 * The message names the file (or flag), the table and the key, and is printed as is.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
