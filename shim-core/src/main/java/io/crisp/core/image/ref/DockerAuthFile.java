package io.crisp.core.image.ref;

import static io.crisp.core.image.ref.ImageReference.quote;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.config.ConfigException;
import io.crisp.core.state.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Registry credentials from a Docker {@code config.json} (the format {@code docker login},
 * {@code podman login} and {@code crictl} write): {@code {"auths": {"<registry>": {"auth": ...}}}}.
 *
 * <p>Keys are spelt several ways by different tools and versions: {@code host},
 * {@code host:port}, or a URL such as {@code https://host/v1/}; Docker Hub is
 * {@code https://index.docker.io/v1/}. All of them are reduced to {@code host[:port]}, lower case,
 * with {@code index.docker.io} and {@code registry-1.docker.io} meaning {@code docker.io}, so a
 * lookup finds an entry whichever way it was written. When two keys name the same registry, the
 * plain {@code host[:port]} key wins over a URL key, and otherwise the first in the file. Keys
 * with a repository path but no scheme ({@code quay.io/team}, the repository-scoped form of
 * containers-auth.json(5)) are skipped: a registry-wide lookup must not widen them to the whole
 * registry. Entries without credentials (what {@code docker login} leaves when a
 * {@code credsStore} holds the secret) are skipped too.
 *
 * <p>Credential helpers are named, not run, here: {@code credHelpers} maps a registry (its keys
 * reduced like those of {@code auths}) to a helper name, {@code credsStore} names the default
 * helper; a name is the {@code NAME} of a program {@code docker-credential-NAME} and must be a plain
 * file name (letters, digits, {@code . _ -}). {@code image.auth.RegistryAuth} decides
 * the order and runs them. Every other key is ignored, since the file belongs to other tools.
 *
 * <p>Secrets never appear in messages: a malformed file is reported by line and column only, and
 * a malformed {@code auth} by the registry key it belongs to; {@link RegistryCredentials} redacts
 * itself in {@code toString()}.
 */
public final class DockerAuthFile {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final String AUTHS = "auths";
    private static final String CRED_HELPERS = "credHelpers";
    private static final String CREDS_STORE = "credsStore";
    /** A helper name becomes part of a program name looked up on PATH: no path separators, no options. */
    private static final java.util.regex.Pattern HELPER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final Optional<Path> file;
    private final Map<String, RegistryCredentials> byRegistry;
    private final Map<String, String> helpers;
    private final Optional<String> credsStore;

    private DockerAuthFile(Optional<Path> file, Map<String, RegistryCredentials> byRegistry) {
        this(file, byRegistry, Map.of(), Optional.empty());
    }

    private DockerAuthFile(Optional<Path> file, Map<String, RegistryCredentials> byRegistry, Map<String, String> helpers,
                           Optional<String> credsStore) {
        this.file = file;
        this.byRegistry = Map.copyOf(byRegistry);
        this.helpers = Map.copyOf(helpers);
        this.credsStore = credsStore;
    }

    /** No credentials: every pull is anonymous. */
    public static DockerAuthFile empty() {
        return new DockerAuthFile(Optional.empty(), Map.of());
    }

    /**
     * Reads {@code file}; a missing file means no credentials.
     *
     * @throws ConfigException naming the file (and the registry key, for a bad entry) when the
     *         file cannot be read or is not a Docker config.json; never containing a secret
     */
    public static DockerAuthFile load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return new DockerAuthFile(Optional.of(file), Map.of());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            // Jackson's message can quote the text around the error, which may be a secret: give
            // the position only, and leave the exception out of the chain for the same reason.
            JsonLocation at = e.getLocation();
            String position = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new ConfigException(file + ": not valid JSON" + position);
        }
        if (root == null || root.isMissingNode()) {
            return new DockerAuthFile(Optional.of(file), Map.of());
        }
        if (!root.isObject()) {
            throw new ConfigException(file + ": expected a JSON object with an \"auths\" object, got a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        Map<String, String> helpers = readHelpers(file, root.get(CRED_HELPERS));
        Optional<String> store = readHelperName(file + ": key \"" + CREDS_STORE + "\"", root.get(CREDS_STORE));
        JsonNode auths = root.get(AUTHS);
        if (auths == null || auths.isNull()) {
            return new DockerAuthFile(Optional.of(file), Map.of(), helpers, store);
        }
        if (!auths.isObject()) {
            throw new ConfigException(file + ": key \"auths\": expected an object keyed by registry, got a JSON "
                    + auths.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        Map<String, RegistryCredentials> plain = new LinkedHashMap<>();
        Map<String, RegistryCredentials> fromUrls = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : auths.properties()) {
            String key = entry.getKey();
            String where = file + ": auths." + quote(key);
            Optional<String> registry = registryOfKey(key);
            RegistryCredentials credentials = readEntry(where, entry.getValue());
            if (registry.isEmpty() || credentials.isEmpty()) {
                continue;
            }
            Map<String, RegistryCredentials> target = isUrl(key) ? fromUrls : plain;
            target.putIfAbsent(registry.get(), credentials);
        }
        Map<String, RegistryCredentials> merged = new LinkedHashMap<>(fromUrls);
        merged.putAll(plain);
        return new DockerAuthFile(Optional.of(file), merged, helpers, store);
    }

    /**
     * The credentials for {@code registry}, {@code host[:port]} as in an image name or an endpoint
     * host; {@code docker.io}, {@code index.docker.io} and {@code registry-1.docker.io} are one.
     */
    public Optional<RegistryCredentials> lookup(String registry) {
        requireNonNull(registry, "registry is null");
        return Optional.ofNullable(byRegistry.get(canonicalHost(registry)));
    }

    /**
     * The helper {@code credHelpers} names for {@code registry} ({@code host[:port]}, spelt as for
     * {@link #lookup}): the {@code NAME} of {@code docker-credential-NAME}.
     */
    public Optional<String> credentialHelper(String registry) {
        requireNonNull(registry, "registry is null");
        return Optional.ofNullable(helpers.get(canonicalHost(registry)));
    }

    /** The default helper, {@code credsStore}, if the file names one. */
    public Optional<String> credentialsStore() {
        return credsStore;
    }

    /**
     * {@code host[:port]} as this file's keys are matched: lower case, Docker Hub's other names
     * ({@code index.docker.io}, {@code registry-1.docker.io}) as {@code docker.io}.
     */
    public static String canonicalRegistry(String registry) {
        return canonicalHost(requireNonNull(registry, "registry is null"));
    }

    /** The file read; empty for {@link #empty()}. A file that did not exist is still named. */
    public Optional<Path> file() {
        return file;
    }

    @Override
    public String toString() {
        return "DockerAuthFile[" + file.map(Path::toString).orElse("none") + ", registries=" + byRegistry.keySet().stream().sorted().toList()
                + (helpers.isEmpty() ? "" : ", credHelpers=" + new java.util.TreeMap<>(helpers))
                + credsStore.map(s -> ", credsStore=" + s).orElse("") + "]";
    }

    // ---- internals ----

    private static Map<String, String> readHelpers(Path file, JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new ConfigException(file + ": key \"" + CRED_HELPERS + "\": expected an object mapping registries to helper names, got a JSON "
                    + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        Map<String, String> plain = new LinkedHashMap<>();
        Map<String, String> fromUrls = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String key = entry.getKey();
            Optional<String> registry = registryOfKey(key);
            Optional<String> helper = readHelperName(file + ": " + CRED_HELPERS + "." + quote(key), entry.getValue());
            if (registry.isPresent() && helper.isPresent()) {
                (isUrl(key) ? fromUrls : plain).putIfAbsent(registry.get(), helper.get());
            }
        }
        Map<String, String> merged = new LinkedHashMap<>(fromUrls);
        merged.putAll(plain);
        return merged;
    }

    /** A helper name, or empty for null or {@code ""} (what tools write to mean none). */
    private static Optional<String> readHelperName(String where, JsonNode node) {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new ConfigException(where + ": expected a credential helper name (a string), got a JSON "
                    + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        String name = node.textValue().strip();
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (!HELPER_NAME.matcher(name).matches()) {
            throw new ConfigException(where + ": " + quote(name) + " is not a credential helper name: expected the NAME of a program"
                    + " docker-credential-NAME, made of letters, digits, '.', '_' and '-'");
        }
        return Optional.of(name);
    }

    private static RegistryCredentials readEntry(String where, JsonNode entry) {
        if (!entry.isObject()) {
            throw new ConfigException(where + ": expected an object with \"auth\" or \"username\" and \"password\"");
        }
        String username = field(where, entry, "username");
        String password = field(where, entry, "password");
        String auth = field(where, entry, "auth");
        String identityToken = field(where, entry, "identitytoken");
        String registryToken = field(where, entry, "registrytoken");
        if (RegistryCredentials.isBlank(username) && RegistryCredentials.isBlank(password) && !RegistryCredentials.isBlank(auth)) {
            try {
                String[] decoded = RegistryCredentials.decodeAuth(auth);
                username = decoded[0];
                password = decoded[1];
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": field \"auth\": " + e.getMessage());
            }
        }
        return new RegistryCredentials(Optional.ofNullable(username), Optional.ofNullable(password),
                Optional.ofNullable(identityToken), Optional.ofNullable(registryToken));
    }

    /** A string field, or null; the value is never put in a message. */
    private static String field(String where, JsonNode entry, String name) {
        JsonNode node = entry.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ConfigException(where + ": field \"" + name + "\": expected a string, got a JSON "
                    + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return node.textValue();
    }

    private static boolean isUrl(String key) {
        String k = key.strip().toLowerCase(Locale.ROOT);
        return k.startsWith("https://") || k.startsWith("http://");
    }

    /** {@code host[:port]} for a key, or empty for a repository-scoped key without scheme. */
    static Optional<String> registryOfKey(String key) {
        String k = key.strip();
        boolean url = isUrl(k);
        if (url) {
            k = k.substring(k.indexOf("://") + 3);
        } else {
            while (k.endsWith("/")) {
                k = k.substring(0, k.length() - 1);
            }
        }
        int slash = k.indexOf('/');
        if (slash >= 0) {
            if (!url) {
                return Optional.empty();
            }
            k = k.substring(0, slash);
        }
        return k.isEmpty() ? Optional.empty() : Optional.of(canonicalHost(k));
    }

    private static String canonicalHost(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.equals("index.docker.io") || h.equals(RegistriesConf.DOCKER_HUB_API_HOST)) {
            return ImageReference.DOCKER_HUB;
        }
        return h;
    }
}
