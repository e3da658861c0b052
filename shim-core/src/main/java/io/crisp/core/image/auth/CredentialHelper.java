package io.crisp.core.image.auth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.crisp.core.image.ref.RegistryCredentials;
import io.crisp.core.os.ChildRun;
import io.crisp.spi.BackendException;
import io.crisp.spi.Durations;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Docker credential helper: the program {@code docker-credential-NAME}, run as
 * {@code docker-credential-NAME get} with the server URL on stdin (no newline, as Docker's client
 * writes it), answering {@code {"ServerURL": ..., "Username": ..., "Secret": ...}} on stdout. The
 * user name {@code <token>} means the secret is an identity token (an OAuth2 refresh token). A
 * helper that exits non-zero printing {@code credentials not found in native keychain} has no
 * credentials for that server: an anonymous pull, as for Docker and the containers tools.
 *
 * <p>The program is looked up in the directories given (the daemon's {@code PATH}), never through a
 * shell; it inherits the daemon's environment (cloud helpers read their own variables and files).
 * A run longer than the timeout is killed with its descendants. Nothing a helper prints on stdout
 * is quoted in an error when it may be a credential answer (it looks like JSON, or the exit status
 * was 0): errors name the helper and the registry and say what was wrong, never the secret.
 */
public final class CredentialHelper {
    private static final Logger log = LoggerFactory.getLogger(CredentialHelper.class);
    /** The program name prefix every helper has. */
    public static final String PREFIX = "docker-credential-";
    /** What docker-credential-helpers prints (and exits 1) when it holds nothing for the server. */
    static final String NOT_FOUND = "credentials not found in native keychain";
    /** The user name meaning "the secret is an identity token". */
    static final String TOKEN_USERNAME = "<token>";
    private static final int OUTPUT_LIMIT = 64 * 1024;
    private static final int SHOWN_LIMIT = 200;
    private static final ObjectReader JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build().reader();

    private final String name;
    private final String origin;
    private final Duration timeout;
    private final List<Path> searchPath;

    /**
     * @param name the {@code NAME} of {@code docker-credential-NAME}
     * @param origin where the name came from, for messages ({@code credHelpers of /etc/crisp/auth.json})
     * @param timeout how long one run may take before it is killed
     * @param searchPath the directories searched in order for the program
     */
    public CredentialHelper(String name, String origin, Duration timeout, List<Path> searchPath) {
        this.name = requireNonNull(name, "name is null");
        this.origin = requireNonNull(origin, "origin is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.searchPath = List.copyOf(searchPath);
    }

    /** {@code docker-credential-NAME}. */
    public String program() {
        return PREFIX + name;
    }

    /**
     * Asks the helper for the credentials of {@code serverUrl}.
     *
     * @param registry the registry the pull is for, for messages
     * @return empty when the helper has no credentials for the server (or answers empty ones)
     * @throws BackendException FAILED_PRECONDITION when the program is missing or answered something
     *         other than the credential JSON; UNAVAILABLE when it failed or did not answer in time
     */
    public Optional<RegistryCredentials> get(String serverUrl, String registry) {
        Path program = locate(registry);
        ChildRun.Outcome outcome;
        try {
            outcome = ChildRun.run(new ProcessBuilder(program.toString(), "get"),
                    serverUrl.getBytes(StandardCharsets.UTF_8), OUTPUT_LIMIT, timeout);
        } catch (ChildRun.NotStarted e) {
            throw BackendException.failedPrecondition("%s: cannot run %s: %s", what(registry), program, e.getMessage());
        } catch (ChildRun.Hung e) {
            log.warn("{} did not answer for registry {} within {} (credential_helper_timeout); killed it", program(), registry,
                    Durations.format(timeout));
            throw BackendException.unavailable("%s: did not answer within %s (credential_helper_timeout); it was killed", what(registry),
                    Durations.format(timeout));
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw BackendException.unavailable("%s: interrupted while waiting for it", what(registry));
        } catch (IOException e) {
            throw BackendException.unavailable("%s: cannot read its output: %s", what(registry), e.getMessage());
        }
        byte[] out = outcome.stdout();
        byte[] err = outcome.stderr();
        int status = outcome.exitCode();
        String outText = new String(out, StandardCharsets.UTF_8).strip();
        String errText = new String(err, StandardCharsets.UTF_8).strip();
        if (status != 0) {
            if (outText.equals(NOT_FOUND) || lastLine(errText).equals(NOT_FOUND)) {
                log.debug("{} has no credentials for {}", program(), serverUrl);
                return Optional.empty();
            }
            throw new BackendException(BackendException.Kind.UNAVAILABLE,
                    what(registry) + ": exited with status " + status + shown(outText, errText));
        }
        return Optional.of(parse(out, registry)).filter(c -> !c.isEmpty());
    }

    private Path locate(String registry) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(program());
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw BackendException.failedPrecondition("%s: no executable %s in the daemon's PATH (%s); install it there or fix the name",
                what(registry), program(), String.join(":", searchPath.stream().map(Path::toString).toList()));
    }

    private RegistryCredentials parse(byte[] out, String registry) {
        JsonNode answer;
        try {
            answer = JSON.readTree(out);
        } catch (IOException e) {
            // Jackson's message quotes the text near the error, which may be the secret.
            throw BackendException.failedPrecondition("%s: printed %d bytes that are not JSON; expected {\"ServerURL\", \"Username\", \"Secret\"}"
                    + " (the output is not shown: it may hold a credential)", what(registry), out.length);
        }
        if (answer == null || answer.isMissingNode() || !answer.isObject()) {
            throw BackendException.failedPrecondition("%s: printed %s instead of a JSON object {\"ServerURL\", \"Username\", \"Secret\"}",
                    what(registry), answer == null || answer.isMissingNode() ? "nothing" : "a JSON " + answer.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        JsonNode secret = answer.get("Secret");
        JsonNode username = answer.get("Username");
        if (secret == null || !secret.isTextual() || (username != null && !username.isNull() && !username.isTextual())) {
            throw BackendException.failedPrecondition("%s: answered a JSON object without a string \"Secret\" and \"Username\" (fields: %s)",
                    what(registry), fieldNames(answer));
        }
        String user = username == null || username.isNull() ? "" : username.textValue();
        if (user.equals(TOKEN_USERNAME)) {
            return new RegistryCredentials(Optional.empty(), Optional.empty(), Optional.of(secret.textValue()), Optional.empty());
        }
        return new RegistryCredentials(Optional.of(user), Optional.of(secret.textValue()), Optional.empty(), Optional.empty());
    }

    private static String fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(n -> names.add(n.length() > 40 ? n.substring(0, 40) + "..." : n));
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** How errors name this helper and the registry. */
    private String what(String registry) {
        return "credential helper " + program() + " (" + origin + ") for registry " + registry;
    }

    /**
     * The helper's error text for a failed run: its first stdout line, where docker-credential-helpers
     * prints errors, else its last stderr line. Not shown when it looks like JSON, which may be a
     * credential answer printed before a failing exit.
     */
    static String shown(String stdout, String stderr) {
        String text = !stdout.isEmpty() ? firstLine(stdout) : lastLine(stderr);
        if (text.isEmpty()) {
            return " and printed nothing";
        }
        if (text.startsWith("{") || text.startsWith("[") || text.startsWith("\"")) {
            return " (its output looks like JSON and is not shown: it may hold a credential)";
        }
        return ": " + (text.length() > SHOWN_LIMIT ? text.substring(0, SHOWN_LIMIT) + "..." : text);
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return (nl < 0 ? text : text.substring(0, nl)).strip();
    }

    private static String lastLine(String text) {
        int nl = text.lastIndexOf('\n');
        return (nl < 0 ? text : text.substring(nl + 1)).strip();
    }

    /** The directories of {@code PATH} (absolute ones; empty and relative entries are skipped), or the usual ones when it is unset. */
    public static List<Path> searchPath(String pathVariable) {
        String value = pathVariable == null || pathVariable.isBlank() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : pathVariable;
        List<Path> dirs = new ArrayList<>();
        for (String part : value.split(":")) {
            if (part.startsWith("/")) {
                dirs.add(Path.of(part));
            }
        }
        return List.copyOf(dirs);
    }

    @Override
    public String toString() {
        return "CredentialHelper[" + program() + ", " + origin + "]";
    }
}
