package io.crisp.core.image.ref;

import static io.crisp.core.image.ref.ImageReference.quote;
import static java.util.Objects.requireNonNull;

import io.crisp.core.config.ConfigException;
import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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

    RegistriesConf(Optional<Path> file, List<Registry> registries, List<String> unqualifiedSearchRegistries) {
        this(file, registries, unqualifiedSearchRegistries, !unqualifiedSearchRegistries.isEmpty());
    }

    RegistriesConf(Optional<Path> file, List<Registry> registries, List<String> unqualifiedSearchRegistries, boolean searchSet) {
        this.file = file;
        this.registries = List.copyOf(registries);
        this.unqualifiedSearchRegistries = List.copyOf(unqualifiedSearchRegistries);
        this.searchSet = searchSet;
    }

    /** A configuration merged from several files, checked as a whole; {@code file} is the main one. */
    static RegistriesConf merged(Path file, List<Registry> registries, List<String> unqualifiedSearchRegistries) {
        RegistriesConfParser.checkConflicts(registries);
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
        return RegistriesConfParser.read(file);
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

    static boolean isWildcard(String prefix) {
        return prefix.startsWith("*.");
    }

    private static String hostWithoutPort(String registry) {
        if (registry.startsWith("[")) {
            return registry; // an IPv6 literal has no subdomains
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }
}
