package io.crisp.core.image.ref;

import static io.crisp.core.image.ref.ImageReference.quote;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.crisp.core.config.ConfigException;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The registries configuration CRI-O, Podman and Buildah share, {@code registries.conf} in the
 * version 2 format of containers-registries.conf(5), so a node keeps one file for every engine.
 *
 * <p>Each {@code [[registry]]} table applies to the image names that start with its
 * {@code prefix} at a path boundary ({@code example.com/foo} covers {@code example.com/foo} and
 * {@code example.com/foo/bar}, not {@code example.com/foobar}); {@code *.example.com} covers every
 * subdomain of {@code example.com} on any port. Only the longest matching prefix applies; when a
 * wildcard and a plain prefix are equally long the plain one, which names a host exactly, wins;
 * between equal prefixes the first in the file wins, as in containers/image. A missing
 * {@code prefix} is the {@code location}. The image is then tried on each mirror in file order and
 * last on the location, the matched prefix replaced by the mirror's or the location's value;
 * {@code mirror-by-digest-only} and the mirrors' {@code pull-from-mirror} restrict mirrors to pulls
 * by digest (or by tag) as containers/image does.
 *
 * <p>The kubelet always sends fully qualified names, so {@code unqualified-search-registries} is
 * kept but not used, and {@code short-name-mode}, {@code [aliases]}, {@code credential-helpers} and
 * {@code additional-layer-store-auth-helper}, which only serve short names and other tools, are
 * ignored. Any other key is refused, naming the file, the {@code [[registry]]} table (counted from
 * 1) and the key: a misspelt {@code blocked} must not silently let an image through. Prefixes and
 * locations with a tag or digest, which containers/image accepts but which redirect one tag rather
 * than a namespace, are refused, as is the deprecated version 1 format.
 *
 * <p>Immutable; build one with {@link #load}, {@link #loadIfExists} or {@link #empty}.
 */
public final class RegistriesConf {
    /** The host that serves the registry API for the images named {@code docker.io/...}. */
    public static final String DOCKER_HUB_API_HOST = "registry-1.docker.io";

    private static final TomlMapper TOML = new TomlMapper();
    private static final String REGISTRY = "registry";
    private static final String MIRROR = "mirror";
    private static final String UNQUALIFIED = "unqualified-search-registries";
    private static final Set<String> IGNORED_KEYS = Set.of("short-name-mode", "aliases", "credential-helpers",
            "additional-layer-store-auth-helper");
    private static final List<String> TOP_LEVEL_KEYS = List.of(REGISTRY, UNQUALIFIED, "short-name-mode", "aliases",
            "credential-helpers", "additional-layer-store-auth-helper");
    private static final List<String> REGISTRY_KEYS = List.of("prefix", "location", "insecure", "blocked",
            "mirror-by-digest-only", MIRROR);
    private static final List<String> MIRROR_KEYS = List.of("location", "insecure", "pull-from-mirror");

    /**
     * One place to fetch an image from.
     *
     * @param host {@code host[:port]} to connect to; Docker Hub is {@value #DOCKER_HUB_API_HOST}
     * @param repository the repository path on that host, after the prefix was rewritten
     * @param insecure whether plain HTTP and unverified TLS certificates are allowed
     * @param mirror whether this is a mirror rather than the registry's own location
     */
    public record Endpoint(String host, String repository, boolean insecure, boolean mirror) {
        public Endpoint {
            requireNonNull(host, "host is null");
            requireNonNull(repository, "repository is null");
            if (host.isEmpty() || repository.isEmpty()) {
                throw new IllegalArgumentException("endpoint needs a host and a repository, got host " + quote(host)
                        + " and repository " + quote(repository));
            }
        }
    }

    /** When a mirror may serve a pull: {@code pull-from-mirror} in containers-registries.conf(5). */
    public enum MirrorUse {
        ALL("all"),
        DIGEST_ONLY("digest-only"),
        TAG_ONLY("tag-only");

        private final String value;

        MirrorUse(String value) {
            this.value = value;
        }

        /** The spelling in the file. */
        public String value() {
            return value;
        }

        boolean allows(ImageReference ref) {
            return switch (this) {
                case ALL -> true;
                case DIGEST_ONLY -> ref.isDigested();
                case TAG_ONLY -> !ref.isDigested();
            };
        }
    }

    /** A {@code [[registry.mirror]]} table: {@code location} is {@code host[:port][/path]}. */
    public record Mirror(String location, boolean insecure, MirrorUse use) {
        public Mirror {
            requireNonNull(location, "location is null");
            requireNonNull(use, "use is null");
        }
    }

    /**
     * A {@code [[registry]]} table, checked and normalised: {@code prefix} is never empty (it
     * defaults to the location), and {@code location} is empty only for a wildcard prefix, which
     * then keeps each image's own registry.
     *
     * @param file the file the table is in (the main file or a drop-in), for messages
     * @param index the table's position in that file, counted from 1, for messages
     */
    public record Registry(Path file, int index, String prefix, Optional<String> location, boolean insecure, boolean blocked,
                           boolean mirrorByDigestOnly, List<Mirror> mirrors) {
        public Registry {
            requireNonNull(file, "file is null");
            requireNonNull(prefix, "prefix is null");
            requireNonNull(location, "location is null");
            mirrors = List.copyOf(requireNonNull(mirrors, "mirrors is null"));
            if (prefix.isEmpty()) {
                throw new IllegalArgumentException("[[registry]] #" + index + ": prefix is empty");
            }
            if (location.isEmpty() && !isWildcard(prefix)) {
                throw new IllegalArgumentException("[[registry]] #" + index + ": only a wildcard prefix may go without location");
            }
        }

        /** Whether the prefix is {@code *.domain}, covering the subdomains of {@code domain}. */
        public boolean wildcard() {
            return isWildcard(prefix);
        }

        /** Whether this table applies to {@code ref}. */
        public boolean matches(ImageReference ref) {
            if (wildcard()) {
                String host = hostWithoutPort(ref.registry()).toLowerCase(Locale.ROOT);
                String suffix = prefix.substring(1).toLowerCase(Locale.ROOT);
                return host.length() > suffix.length() && host.endsWith(suffix);
            }
            String name = ref.name();
            return name.equals(prefix) || (name.startsWith(prefix) && name.charAt(prefix.length()) == '/');
        }

        String describe() {
            return "[[registry]] #" + index + " (prefix " + quote(prefix) + ")";
        }
    }

    private final Optional<Path> file;
    private final List<Registry> registries;
    private final List<String> unqualifiedSearchRegistries;
    /** Whether the file sets {@code unqualified-search-registries} (even to []), so a drop-in that does replaces it. */
    private final boolean searchSet;

    private RegistriesConf(Optional<Path> file, List<Registry> registries, List<String> unqualifiedSearchRegistries) {
        this(file, registries, unqualifiedSearchRegistries, !unqualifiedSearchRegistries.isEmpty());
    }

    private RegistriesConf(Optional<Path> file, List<Registry> registries, List<String> unqualifiedSearchRegistries, boolean searchSet) {
        this.file = file;
        this.registries = List.copyOf(registries);
        this.unqualifiedSearchRegistries = List.copyOf(unqualifiedSearchRegistries);
        this.searchSet = searchSet;
    }

    /** A configuration merged from several files, checked as a whole; {@code file} is the main one. */
    static RegistriesConf merged(Path file, List<Registry> registries, List<String> unqualifiedSearchRegistries) {
        checkConflicts(registries);
        return new RegistriesConf(Optional.of(file), registries, unqualifiedSearchRegistries, true);
    }

    boolean setsSearchRegistries() {
        return searchSet;
    }

    /** No configuration: every image is fetched from its own registry over HTTPS. */
    public static RegistriesConf empty() {
        return new RegistriesConf(Optional.empty(), List.of(), List.of());
    }

    /**
     * Reads {@code file}, which must exist.
     *
     * @throws ConfigException naming the file, the {@code [[registry]]} table and the key at fault
     */
    public static RegistriesConf load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": registries configuration file not found", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = TOML.readTree(text);
        } catch (JacksonException e) {
            throw new ConfigException(file + ": not valid TOML: " + e.getOriginalMessage(), e);
        }
        return parse(file, root);
    }

    /**
     * Reads {@code file} if it exists, then the drop-in files {@code *.conf} of the directory
     * {@code <file>.d} beside it (containers-registries.conf.d(5)) in lexical order.
     *
     * @throws ConfigException naming the file (main or drop-in), table and key at fault
     */
    public static RegistriesConf loadWithDropIns(Path file) {
        return RegistriesConfDropIns.load(file);
    }

    /** Like {@link #load}, but a missing file means {@link #empty()}, as for the default path. */
    public static RegistriesConf loadIfExists(Path file) {
        return Files.exists(file) ? load(file) : empty();
    }

    /** The file this configuration was read from; empty for {@link #empty()}. */
    public Optional<Path> file() {
        return file;
    }

    /** Every {@code [[registry]]} table, in file order. */
    public List<Registry> registries() {
        return registries;
    }

    /** {@code unqualified-search-registries}, kept for reporting; CRI names are always qualified. */
    public List<String> unqualifiedSearchRegistries() {
        return unqualifiedSearchRegistries;
    }

    /** The table that applies to {@code ref}: the longest matching prefix. */
    public Optional<Registry> find(ImageReference ref) {
        requireNonNull(ref, "ref is null");
        Registry best = null;
        for (Registry r : registries) {
            if (!r.matches(ref)) {
                continue;
            }
            if (best == null || r.prefix().length() > best.prefix().length()
                    || (r.prefix().length() == best.prefix().length() && best.wildcard() && !r.wildcard())) {
                best = r;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Whether pulling {@code ref} is forbidden by a {@code blocked = true} table. */
    public boolean blocked(ImageReference ref) {
        return find(ref).map(Registry::blocked).orElse(false);
    }

    /**
     * @throws BackendException FAILED_PRECONDITION naming the image, the blocked prefix, the file
     *         and the table when {@link #blocked} is true
     */
    public void checkNotBlocked(ImageReference ref) {
        Optional<Registry> match = find(ref);
        if (match.isPresent() && match.get().blocked()) {
            throw BackendException.failedPrecondition("image %s: registry %s is blocked by %s (%s)",
                    quote(ref.toString()), match.get().prefix(), match.get().file(), match.get().describe());
        }
    }

    /**
     * Where to fetch {@code ref} from, in the order to try: the mirrors in file order (those that
     * may serve this pull), then the location. Without a matching table that is the image's own
     * registry, over HTTPS; {@code docker.io} is reached at {@value #DOCKER_HUB_API_HOST}.
     *
     * @throws BackendException FAILED_PRECONDITION when the image is blocked, or when a rewrite
     *         yields no valid image name (a location without a repository for a whole-name prefix)
     */
    public List<Endpoint> endpoints(ImageReference ref) {
        checkNotBlocked(ref);
        Optional<Registry> match = find(ref);
        if (match.isEmpty()) {
            return List.of(endpoint(ref.registry(), ref.repository(), false, false));
        }
        Registry registry = match.get();
        List<Endpoint> result = new ArrayList<>();
        for (Mirror m : registry.mirrors()) {
            boolean usable = registry.mirrorByDigestOnly() ? ref.isDigested() : m.use().allows(ref);
            if (usable) {
                result.add(rewrite(registry, Optional.of(m.location()), ref, m.insecure(), true));
            }
        }
        result.add(rewrite(registry, registry.location(), ref, registry.insecure(), false));
        return List.copyOf(result);
    }

    @Override
    public String toString() {
        return "RegistriesConf[" + source() + ", " + registries.size() + " [[registry]] tables]";
    }

    // ---- resolution ----

    private Endpoint rewrite(Registry registry, Optional<String> location, ImageReference ref, boolean insecure, boolean mirror) {
        if (location.isEmpty()) {
            return endpoint(ref.registry(), ref.repository(), insecure, mirror);
        }
        String rest = registry.wildcard()
                ? ref.name().substring(ref.registry().length())
                : ref.name().substring(registry.prefix().length());
        String target = location.get() + rest;
        int slash = target.indexOf('/');
        if (slash < 0) {
            throw BackendException.failedPrecondition("image %s: %s in %s rewrites it to %s, which names no repository",
                    quote(ref.toString()), registry.describe(), registry.file(), quote(target));
        }
        ImageReference rewritten;
        try {
            rewritten = new ImageReference(target.substring(0, slash), target.substring(slash + 1), ref.tag(), ref.digest());
        } catch (BackendException e) {
            throw new BackendException(BackendException.Kind.FAILED_PRECONDITION, String.format(
                    "image %s: %s in %s rewrites it to an invalid name: %s",
                    quote(ref.toString()), registry.describe(), registry.file(), e.getMessage()), e);
        }
        return endpoint(rewritten.registry(), rewritten.repository(), insecure, mirror);
    }

    private static Endpoint endpoint(String registry, String repository, boolean insecure, boolean mirror) {
        String host = registry.equals(ImageReference.DOCKER_HUB) ? DOCKER_HUB_API_HOST : registry;
        return new Endpoint(host, repository, insecure, mirror);
    }

    private String source() {
        return file.map(Path::toString).orElse("the built-in registries configuration");
    }

    private static boolean isWildcard(String prefix) {
        return prefix.startsWith("*.");
    }

    private static String hostWithoutPort(String registry) {
        if (registry.startsWith("[")) {
            return registry; // an IPv6 literal has no subdomains
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    // ---- reading ----

    private static RegistriesConf parse(Path file, JsonNode root) {
        List<Registry> registries = new ArrayList<>();
        List<String> unqualified = new ArrayList<>();
        boolean searchSet = false;
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new RegistriesConf(Optional.of(file), registries, unqualified);
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String key = field.getKey();
            JsonNode node = field.getValue();
            if (key.equals(REGISTRY)) {
                if (!node.isArray()) {
                    throw new ConfigException(file + ": 'registry' must be an array of tables: write [[registry]], not [registry]");
                }
                for (int i = 0; i < node.size(); i++) {
                    registries.add(readRegistry(file, i + 1, node.get(i)));
                }
            } else if (key.equals(UNQUALIFIED)) {
                unqualified.addAll(readSearchRegistries(file, node));
                searchSet = true;
            } else if (key.equals("registries")) {
                throw new ConfigException(file + ": table [registries...] is the deprecated version 1 format, which crisp does not read;"
                        + " write [[registry]] tables (containers-registries.conf(5), version 2)");
            } else if (!IGNORED_KEYS.contains(key)) {
                throw new ConfigException(file + ": top level: unknown key '" + key + "' (known keys: "
                        + String.join(", ", TOP_LEVEL_KEYS) + ")");
            }
        }
        checkConflicts(registries);
        return new RegistriesConf(Optional.of(file), registries, unqualified, searchSet);
    }

    private static List<String> readSearchRegistries(Path file, JsonNode node) {
        String where = file + ": top level key '" + UNQUALIFIED + "'";
        if (!node.isArray()) {
            throw new ConfigException(where + ": expected an array of host[:port] strings, got " + node);
        }
        List<String> result = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isTextual()) {
                throw new ConfigException(where + ": expected an array of host[:port] strings, got element " + element);
            }
            String host = trimSlashes(element.textValue());
            if (!ImageReference.isRegistry(host)) {
                throw new ConfigException(where + ": " + quote(element.textValue()) + " is not host[:port]");
            }
            result.add(host);
        }
        return result;
    }

    private static Registry readRegistry(Path file, int index, JsonNode table) {
        String numbered = file + ": [[registry]] #" + index;
        if (!table.isObject()) {
            throw new ConfigException(numbered + ": expected a table, got " + table);
        }
        Optional<String> rawPrefix = text(numbered, table, "prefix");
        Optional<String> rawLocation = text(numbered, table, "location");
        // Name the table by its prefix (or the location it defaults to): that is what a reader searches for.
        String where = numbered + rawPrefix.or(() -> rawLocation).filter(v -> !v.isEmpty())
                .map(v -> " (prefix " + quote(v) + ")").orElse("");

        for (Map.Entry<String, JsonNode> field : table.properties()) {
            String key = field.getKey();
            if (key.equals("pull-from-mirror")) {
                throw new ConfigException(where + ": key 'pull-from-mirror' belongs in [[registry.mirror]] tables, not in [[registry]]");
            }
            if (!REGISTRY_KEYS.contains(key)) {
                throw new ConfigException(where + ": unknown key '" + key + "' (known keys: " + String.join(", ", REGISTRY_KEYS) + ")");
            }
        }

        Optional<String> location = rawLocation.filter(v -> !v.isEmpty()).map(v -> checkName(where + ": key 'location': ", v));
        Optional<String> prefix = rawPrefix.filter(v -> !v.isEmpty()).map(v -> checkPrefix(where + ": key 'prefix': ", v));
        if (prefix.isEmpty() && location.isEmpty()) {
            throw new ConfigException(where + ": set 'location' (and optionally 'prefix'): the table applies to nothing");
        }
        String effectivePrefix = prefix.orElseGet(location::orElseThrow);
        if (location.isEmpty() && !isWildcard(effectivePrefix)) {
            throw new ConfigException(where + ": key 'location' is missing; only a wildcard prefix (*.example.com) may go without one");
        }
        boolean insecure = bool(where, table, "insecure");
        boolean blocked = bool(where, table, "blocked");
        boolean byDigestOnly = bool(where, table, "mirror-by-digest-only");

        List<Mirror> mirrors = new ArrayList<>();
        JsonNode mirrorNodes = table.get(MIRROR);
        if (mirrorNodes != null) {
            if (!mirrorNodes.isArray()) {
                throw new ConfigException(where + ": 'mirror' must be an array of tables: write [[registry.mirror]]");
            }
            for (int m = 0; m < mirrorNodes.size(); m++) {
                mirrors.add(readMirror(where + ", [[registry.mirror]] #" + (m + 1), mirrorNodes.get(m), byDigestOnly));
            }
        }
        return new Registry(file, index, effectivePrefix, location, insecure, blocked, byDigestOnly, mirrors);
    }

    private static Mirror readMirror(String where, JsonNode table, boolean byDigestOnly) {
        if (!table.isObject()) {
            throw new ConfigException(where + ": expected a table, got " + table);
        }
        for (Map.Entry<String, JsonNode> field : table.properties()) {
            String key = field.getKey();
            if (!MIRROR_KEYS.contains(key)) {
                throw new ConfigException(where + ": unknown key '" + key + "' (known keys: " + String.join(", ", MIRROR_KEYS) + ")");
            }
        }
        String location = text(where, table, "location").filter(v -> !v.isEmpty())
                .orElseThrow(() -> new ConfigException(where + ": key 'location' is missing"));
        location = checkName(where + ": key 'location': ", location);
        boolean insecure = bool(where, table, "insecure");
        MirrorUse use = MirrorUse.ALL;
        Optional<String> pull = text(where, table, "pull-from-mirror").filter(v -> !v.isEmpty());
        if (pull.isPresent()) {
            if (byDigestOnly) {
                throw new ConfigException(where + ": key 'pull-from-mirror' cannot be combined with 'mirror-by-digest-only = true'"
                        + " on its [[registry]]; use one or the other");
            }
            use = null;
            for (MirrorUse candidate : MirrorUse.values()) {
                if (candidate.value().equals(pull.get())) {
                    use = candidate;
                }
            }
            if (use == null) {
                throw new ConfigException(where + ": key 'pull-from-mirror': expected one of all, digest-only, tag-only, got "
                        + quote(pull.get()));
            }
        }
        return new Mirror(location, insecure, use);
    }

    /** Two tables for the same location must agree on insecure and blocked, as containers/image requires. */
    private static void checkConflicts(List<Registry> registries) {
        Map<String, Registry> byLocation = new LinkedHashMap<>();
        for (Registry r : registries) {
            String key = r.location().orElse(r.prefix());
            Registry first = byLocation.putIfAbsent(key, r);
            if (first == null) {
                continue;
            }
            for (String setting : List.of("insecure", "blocked")) {
                boolean a = setting.equals("insecure") ? first.insecure() : first.blocked();
                boolean b = setting.equals("insecure") ? r.insecure() : r.blocked();
                if (a != b) {
                    String tables = first.file().equals(r.file())
                            ? first.file() + ": [[registry]] #" + first.index() + " and #" + r.index()
                            : first.file() + ": [[registry]] #" + first.index() + " and " + r.file() + ": [[registry]] #" + r.index();
                    throw new ConfigException(tables + " both use location "
                            + quote(key) + " but disagree on '" + setting + "' (" + a + " and " + b + ")");
                }
            }
        }
    }

    private static String checkPrefix(String where, String value) {
        String prefix = trimSlashes(value);
        if (isWildcard(prefix)) {
            String domain = prefix.substring(2);
            if (domain.indexOf('*') >= 0 || !ImageReference.isDomainName(domain)) {
                throw new ConfigException(where + quote(value)
                        + " is not a valid wildcard: write *.domain, with no port, path or other '*'");
            }
            return prefix;
        }
        if (prefix.indexOf('*') >= 0) {
            throw new ConfigException(where + quote(value) + ": a wildcard is only allowed as a leading '*.' (*.example.com)");
        }
        return checkName(where, value);
    }

    /**
     * Checks {@code host[:port][/path]}, without scheme, tag or digest, and returns it without
     * trailing slashes.
     *
     * @param where the file, table and key, ending in ": ", for messages
     */
    private static String checkName(String where, String original) {
        String name = trimSlashes(original);
        if (name.startsWith("http://") || name.startsWith("https://")) {
            throw new ConfigException(where + quote(original) + " has a URI scheme; write host[:port][/path], without http:// or https://");
        }
        int slash = name.indexOf('/');
        String host = slash < 0 ? name : name.substring(0, slash);
        String path = slash < 0 ? "" : name.substring(slash + 1);
        if (name.indexOf('@') >= 0 || path.indexOf(':') >= 0) {
            throw new ConfigException(where + quote(original)
                    + " has a tag or digest; crisp supports only host[:port][/path] here");
        }
        if (!ImageReference.isRegistry(host)) {
            throw new ConfigException(where + quote(original) + " does not start with a registry host[:port]");
        }
        if (slash >= 0 && !ImageReference.isRepositoryPath(path)) {
            throw new ConfigException(where + quote(original) + " has an invalid repository path " + quote(path)
                    + " (lower-case letters and digits, separated by '.', '_', '__' or dashes, and '/')");
        }
        return name;
    }

    private static String trimSlashes(String value) {
        int end = value.length();
        while (end > 0 && value.charAt(end - 1) == '/') {
            end--;
        }
        return value.substring(0, end);
    }

    private static Optional<String> text(String where, JsonNode table, String key) {
        JsonNode node = table.get(key);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new ConfigException(where + ": key '" + key + "': expected a string, got " + node);
        }
        return Optional.of(node.textValue());
    }

    private static boolean bool(String where, JsonNode table, String key) {
        JsonNode node = table.get(key);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new ConfigException(where + ": key '" + key + "': expected true or false, got " + node);
        }
        return node.booleanValue();
    }
}
