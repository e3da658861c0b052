package io.crisp.core.image.ref;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A fully qualified image reference, {@code registry/repository[:tag][@digest]}, as the kubelet
 * names images: {@code busybox} arrives here as {@code docker.io/library/busybox:latest}.
 *
 * <p>{@link #parse} follows the grammar Docker and containerd share, so a name means here what it
 * means to them and to the registries: the first path component is a registry only when it looks
 * like a host ({@code .} or {@code :} in it, or {@code localhost}); otherwise the image is on
 * Docker Hub, whose one-component names live under {@code library/}. The record is canonical
 * whichever way it is built: the constructor applies the same Docker Hub normalisation, so two
 * references to the same image are {@code equals}.
 *
 * <p>A reference always has a tag, a digest or both; with both, the digest is what is fetched
 * ({@link #reference()}) and the tag is kept because the kubelet and {@code crictl images} show it.
 *
 * <p>Every refusal is an INVALID_ARGUMENT {@link BackendException} whose message quotes the
 * offending input, for example {@code image "Foo/Bar": repository must be lower case}.
 */
public record ImageReference(String registry, String repository, Optional<String> tag, Optional<String> digest) {
    /** The name Docker Hub images carry; its API is served by {@code registry-1.docker.io}. */
    public static final String DOCKER_HUB = "docker.io";
    /** The tag a reference without tag or digest means. */
    public static final String DEFAULT_TAG = "latest";
    /** The longest name ({@code registry/repository}) the distribution grammar allows. */
    public static final int NAME_MAX_LENGTH = 255;

    /** Older Docker clients wrote Docker Hub's name this way; it is the same registry. */
    private static final String LEGACY_DOCKER_HUB = "index.docker.io";
    private static final String OFFICIAL_NAMESPACE = "library/";
    /** Error messages show at most this much of the input, so a pod spec cannot flood the log. */
    private static final int QUOTE_MAX_LENGTH = 300;

    /*
     * The grammar writes the separator as [._]|__|[-]*; a run of zero dashes only glues two
     * alphanumeric runs together, which [a-z0-9]+ already covers, so -+ accepts the same names
     * without the nested quantifier that makes a failing match backtrack exponentially.
     */
    private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_{1,2}|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("\\w[\\w.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");
    private static final String DIGEST_FORM = "expected sha256: and 64 lower-case hex digits, or sha512: and 128";
    private static final Pattern DOMAIN_NAME = Pattern.compile(
            "[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    private static final Pattern HEX_GROUP = Pattern.compile("[0-9a-fA-F]{1,4}");
    /** An image ID: Docker refuses it as a name, since it would silently become docker.io/library/<id>. */
    private static final Pattern IMAGE_ID = Pattern.compile("(?:sha256:)?[a-f0-9]{64}");

    /**
     * Normalises Docker Hub's legacy name and official images ({@code index.docker.io/busybox}
     * becomes {@code docker.io/library/busybox}) and validates every part.
     *
     * @throws BackendException INVALID_ARGUMENT naming the part that is wrong
     */
    public ImageReference {
        requireNonNull(registry, "registry is null");
        requireNonNull(repository, "repository is null");
        requireNonNull(tag, "tag is null");
        requireNonNull(digest, "digest is null");
        registry = normaliseRegistry(registry);
        repository = normaliseRepository(registry, repository);
        check(compose(registry, repository, tag, digest), registry, repository, tag, digest);
    }

    /**
     * Parses {@code [registry/]path[:tag][@digest]} the way Docker and containerd do, and fills in
     * what the text leaves out: {@code docker.io}, {@code library/} and the tag {@code latest}.
     *
     * @throws BackendException INVALID_ARGUMENT quoting {@code text} and naming what is wrong
     */
    public static ImageReference parse(String text) {
        requireNonNull(text, "image reference is null");
        if (text.isEmpty()) {
            throw invalid(text, "image name is empty");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw invalid(text, "must not contain spaces or control characters");
            }
        }
        if (IMAGE_ID.matcher(text).matches()) {
            throw invalid(text, "this is an image ID, not a name; a name is [registry/]repository[:tag][@digest]");
        }

        String rest = text;
        Optional<String> digest = Optional.empty();
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Optional.of(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        Optional<String> tag = Optional.empty();
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = Optional.of(rest.substring(colon + 1));
            rest = rest.substring(0, colon);
        }
        if (rest.isEmpty()) {
            throw invalid(text, "repository name is missing");
        }

        String registry = DOCKER_HUB;
        String repository = rest;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String first = rest.substring(0, slash);
            if (first.indexOf('.') >= 0 || first.indexOf(':') >= 0 || first.equals("localhost")) {
                registry = first;
                repository = rest.substring(slash + 1);
            }
        }
        registry = normaliseRegistry(registry);
        repository = normaliseRepository(registry, repository);
        if (tag.isEmpty() && digest.isEmpty()) {
            tag = Optional.of(DEFAULT_TAG);
        }
        check(text, registry, repository, tag, digest);
        return new ImageReference(registry, repository, tag, digest);
    }

    /**
     * Checks a bare digest, {@code sha256:} and 64 lower-case hex digits or {@code sha512:} and 128.
     *
     * @return {@code digest}, unchanged
     * @throws BackendException INVALID_ARGUMENT quoting the digest
     */
    public static String requireDigest(String digest) {
        requireNonNull(digest, "digest is null");
        if (!DIGEST.matcher(digest).matches()) {
            throw BackendException.invalidArgument("digest %s is invalid: %s", quote(digest), DIGEST_FORM);
        }
        return digest;
    }

    /** {@code registry/repository}, the name without tag or digest. */
    public String name() {
        return registry + "/" + repository;
    }

    /** What goes in {@code /v2/<repository>/manifests/<reference>}: the digest when there is one, else the tag. */
    public String reference() {
        return digest.orElseGet(tag::orElseThrow);
    }

    public boolean isDigested() {
        return digest.isPresent();
    }

    /** The same image pinned to {@code digest}; the tag, if any, is kept. */
    public ImageReference withDigest(String digest) {
        return new ImageReference(registry, repository, tag, Optional.of(requireDigest(digest)));
    }

    /**
     * The same reference without its tag, {@code name@digest}: the form of a repo digest.
     *
     * @throws IllegalStateException when there is no digest, since a reference needs one or a tag
     */
    public ImageReference withoutTag() {
        if (digest.isEmpty()) {
            throw new IllegalStateException("image " + quote(toString()) + " has no digest; dropping its tag would leave no reference");
        }
        return new ImageReference(registry, repository, Optional.empty(), digest);
    }

    /** The fully qualified form the kubelet uses: {@code name[:tag][@digest]}. */
    @Override
    public String toString() {
        return compose(registry, repository, tag, digest);
    }

    // ---- grammar, shared with the rest of the package ----

    /** Whether {@code text} is {@code host[:port]}: a DNS name, an IPv4 address or a bracketed IPv6 address. */
    static boolean isRegistry(String text) {
        String host = text;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !isIpv6(text.substring(1, close))) {
                return false;
            }
            String after = text.substring(close + 1);
            return after.isEmpty() || (after.startsWith(":") && isPort(after.substring(1)));
        }
        int colon = text.indexOf(':');
        if (colon >= 0) {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        return isDomainName(host) && (port == null || isPort(port));
    }

    /** Whether {@code text} is a DNS name (or IPv4 address) without port. */
    static boolean isDomainName(String text) {
        return text.length() <= NAME_MAX_LENGTH && DOMAIN_NAME.matcher(text).matches();
    }

    /** Whether {@code path} is one or more valid repository path components separated by {@code /}. */
    static boolean isRepositoryPath(String path) {
        if (path.isEmpty() || path.length() > NAME_MAX_LENGTH) {
            return false;
        }
        for (String component : path.split("/", -1)) {
            if (!PATH_COMPONENT.matcher(component).matches()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Quotes user input for an error message: double quotes, backslash escapes for quotes and
     * control characters, and at most {@value #QUOTE_MAX_LENGTH} characters of it.
     */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), QUOTE_MAX_LENGTH) + 16).append('"');
        int shown = Math.min(text.length(), QUOTE_MAX_LENGTH);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        if (shown < text.length()) {
            b.append("...\" (").append(text.length()).append(" characters)");
            return b.toString();
        }
        return b.append('"').toString();
    }

    // ---- internals ----

    private static String normaliseRegistry(String registry) {
        return registry.equals(LEGACY_DOCKER_HUB) ? DOCKER_HUB : registry;
    }

    private static String normaliseRepository(String registry, String repository) {
        if (registry.equals(DOCKER_HUB) && !repository.isEmpty() && repository.indexOf('/') < 0) {
            return OFFICIAL_NAMESPACE + repository;
        }
        return repository;
    }

    private static String compose(String registry, String repository, Optional<String> tag, Optional<String> digest) {
        StringBuilder b = new StringBuilder(registry).append('/').append(repository);
        tag.ifPresent(t -> b.append(':').append(t));
        digest.ifPresent(d -> b.append('@').append(d));
        return b.toString();
    }

    /** Validates the parts; {@code input} is what the caller gave, quoted in every message. */
    private static void check(String input, String registry, String repository, Optional<String> tag, Optional<String> digest) {
        int nameLength = registry.length() + 1 + repository.length();
        if (nameLength > NAME_MAX_LENGTH) {
            throw invalid(input, "name is " + nameLength + " characters long; at most " + NAME_MAX_LENGTH + " are allowed");
        }
        if (registry.isEmpty()) {
            throw invalid(input, "registry is empty");
        }
        if (!isRegistry(registry)) {
            throw invalid(input, "registry " + quote(registry)
                    + " is not host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address; a port from 1 to 65535)");
        }
        if (repository.isEmpty()) {
            throw invalid(input, "repository name is missing");
        }
        if (!isRepositoryPath(repository)) {
            throw invalid(input, repositoryProblem(repository));
        }
        if (tag.isEmpty() && digest.isEmpty()) {
            throw invalid(input, "needs a tag or a digest");
        }
        if (tag.isPresent() && !TAG.matcher(tag.get()).matches()) {
            throw invalid(input, "tag " + quote(tag.get())
                    + " is invalid: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        }
        if (digest.isPresent() && !DIGEST.matcher(digest.get()).matches()) {
            throw invalid(input, "digest " + quote(digest.get()) + " is invalid: " + DIGEST_FORM);
        }
    }

    private static String repositoryProblem(String repository) {
        String lower = repository.toLowerCase(Locale.ROOT);
        if (!lower.equals(repository) && isRepositoryPath(lower)) {
            return "repository must be lower case";
        }
        for (String component : repository.split("/", -1)) {
            if (component.isEmpty()) {
                return "repository " + quote(repository) + " has an empty path component";
            }
            if (!PATH_COMPONENT.matcher(component).matches()) {
                return "repository path component " + quote(component)
                        + " is invalid: lower-case letters and digits, separated by '.', '_', '__' or dashes";
            }
        }
        return "repository " + quote(repository) + " is invalid";
    }

    private static boolean isPort(String text) {
        if (!PORT.matcher(text).matches()) {
            return false;
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535;
    }

    /** A literal IPv6 address in hex groups: eight groups, or fewer with one {@code ::}. */
    private static boolean isIpv6(String text) {
        int doubleColon = text.indexOf("::");
        if (doubleColon < 0) {
            return countGroups(text) == 8;
        }
        if (text.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        int left = countGroups(text.substring(0, doubleColon));
        int right = countGroups(text.substring(doubleColon + 2));
        return left >= 0 && right >= 0 && left + right <= 7;
    }

    /** The number of hex groups in {@code a:b:c}, 0 for empty text, -1 when malformed. */
    private static int countGroups(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        String[] parts = text.split(":", -1);
        for (String part : parts) {
            if (!HEX_GROUP.matcher(part).matches()) {
                return -1;
            }
        }
        return parts.length;
    }

    private static BackendException invalid(String input, String detail) {
        return BackendException.invalidArgument("image %s: %s", quote(input), detail);
    }
}
