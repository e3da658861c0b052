package io.crisp.core.image.ref;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Credentials for one registry, from a CRI {@code AuthConfig} or a Docker {@code config.json}
 * entry ({@link DockerAuthFile}). Empty strings are absent values.
 *
 * <p>{@link #toString()} shows the user name only, and no message built here contains a secret:
 * credentials end up in logs through exceptions and debug output far more often than on purpose.
 */
public record RegistryCredentials(Optional<String> username, Optional<String> password,
                                  Optional<String> identityToken, Optional<String> registryToken) {
    public RegistryCredentials {
        username = requireNonNull(username, "username is null").filter(v -> !v.isEmpty());
        password = requireNonNull(password, "password is null").filter(v -> !v.isEmpty());
        identityToken = requireNonNull(identityToken, "identityToken is null").filter(v -> !v.isEmpty());
        registryToken = requireNonNull(registryToken, "registryToken is null").filter(v -> !v.isEmpty());
    }

    /** No credentials: an anonymous pull. */
    public static RegistryCredentials anonymous() {
        return new RegistryCredentials(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * Builds credentials from the fields of a CRI {@code AuthConfig}; any argument may be null or
     * empty. When {@code username} and {@code password} are both empty, {@code auth}, base64 of
     * {@code username:password}, supplies them (the password may contain colons).
     *
     * @throws BackendException INVALID_ARGUMENT naming field {@code auth.auth} when it is not
     *         base64 of {@code username:password}; the value is never part of the message
     */
    public static RegistryCredentials fromAuthConfig(String username, String password, String auth,
                                                     String identityToken, String registryToken) {
        String user = username;
        String pass = password;
        if (isBlank(user) && isBlank(pass) && !isBlank(auth)) {
            String[] decoded;
            try {
                decoded = decodeAuth(auth);
            } catch (IllegalArgumentException e) {
                throw BackendException.invalidArgument("field auth.auth: %s", e.getMessage());
            }
            user = decoded[0];
            pass = decoded[1];
        }
        return new RegistryCredentials(Optional.ofNullable(user), Optional.ofNullable(pass),
                Optional.ofNullable(identityToken), Optional.ofNullable(registryToken));
    }

    /** Whether there is nothing to authenticate with: an anonymous pull. */
    public boolean isEmpty() {
        return username.isEmpty() && password.isEmpty() && identityToken.isEmpty() && registryToken.isEmpty();
    }

    /** The fields present, secrets shown as {@code <redacted>}: {@code RegistryCredentials[username=alice, password=<redacted>]}. */
    @Override
    public String toString() {
        StringJoiner fields = new StringJoiner(", ", "RegistryCredentials[", "]");
        username.ifPresent(u -> fields.add("username=" + u));
        password.ifPresent(p -> fields.add("password=<redacted>"));
        identityToken.ifPresent(t -> fields.add("identityToken=<redacted>"));
        registryToken.ifPresent(t -> fields.add("registryToken=<redacted>"));
        return fields.toString();
    }

    /**
     * Splits base64 {@code username:password} at the first colon.
     *
     * @throws IllegalArgumentException saying what is wrong, never quoting the value
     */
    static String[] decodeAuth(String auth) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(auth.strip());
        } catch (IllegalArgumentException e) {
            // The decoder's own message quotes the offending character: do not pass it on.
            throw new IllegalArgumentException("not valid base64; expected base64 of \"username:password\"");
        }
        String decoded = new String(bytes, StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("decodes to text without ':'; expected base64 of \"username:password\"");
        }
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    static boolean isBlank(String value) {
        return value == null || value.isEmpty();
    }
}
