package io.crisp.core.image.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.crisp.core.image.ref.ImageReference;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where signatures live, from the {@code *.yaml} files of containers-registries.d(5)
 * ({@code /etc/containers/registries.d}): {@code default-docker} and {@code docker:} entries per
 * namespace ({@code host}, {@code host/ns}, {@code host/ns/repo}, {@code *.domain}), each with
 * {@code lookaside} (or its older name {@code sigstore}) and {@code use-sigstore-attachments}.
 * Only the reading keys are used; {@code lookaside-staging}/{@code sigstore-staging} are for
 * writers and accepted. One namespace in two files is an error, as in containers/image.
 *
 * <p>Lookaside: the most specific namespace that sets a URL, else {@code default-docker}'s, else
 * {@code file:///var/lib/containers/sigstore}, containers/image's built-in default for root.
 */
final class RegistriesD {
    static final URI BUILTIN_LOOKASIDE = URI.create("file:///var/lib/containers/sigstore");
    private static final Set<String> ENTRY_FIELDS = Set.of("lookaside", "lookaside-staging", "sigstore", "sigstore-staging", "use-sigstore-attachments");

    /** One entry: a namespace's settings (each may be absent). */
    record Entry(Optional<URI> lookaside, Optional<Boolean> useSigstoreAttachments, Path file) {}

    private final Optional<Entry> defaultDocker;
    private final Map<String, Entry> docker;

    private RegistriesD(Optional<Entry> defaultDocker, Map<String, Entry> docker) {
        this.defaultDocker = defaultDocker;
        this.docker = docker;
    }

    /** Reads every {@code *.yaml} in {@code dir}; a missing directory configures nothing. */
    static RegistriesD load(Path dir) {
        if (!Files.isDirectory(dir)) {
            return new RegistriesD(Optional.empty(), Map.of());
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.yaml")) {
            entries.forEach(files::add);
        } catch (IOException e) {
            throw PolicyException.invalid("cannot list " + dir + ": " + e.getMessage());
        }
        files.sort(null);
        YAMLMapper yaml = new YAMLMapper();
        Optional<Entry> defaultDocker = Optional.empty();
        Map<String, Entry> docker = new HashMap<>();
        for (Path file : files) {
            JsonNode root;
            try {
                root = yaml.readTree(file.toFile());
            } catch (IOException e) {
                throw PolicyException.invalid(file + ": not valid YAML: " + e.getMessage());
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                continue; // a file of comments only, like Debian's default.yaml
            }
            if (!root.isObject()) {
                throw PolicyException.invalid(file + ": the top level is not a mapping");
            }
            Requirement.onlyFields(root, file.toString(), Set.of("default-docker", "docker"));
            if (root.hasNonNull("default-docker")) {
                if (defaultDocker.isPresent()) {
                    throw PolicyException.invalid(file + ": default-docker is also set in " + defaultDocker.get().file());
                }
                defaultDocker = Optional.of(entry(root.get("default-docker"), file, "default-docker"));
            }
            JsonNode namespaces = root.path("docker");
            for (Iterator<Map.Entry<String, JsonNode>> it = namespaces.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> ns = it.next();
                Entry previous = docker.get(ns.getKey());
                if (previous != null) {
                    throw PolicyException.invalid(file + ": docker namespace \"" + ns.getKey() + "\" is also configured in " + previous.file());
                }
                docker.put(ns.getKey(), entry(ns.getValue(), file, "docker[\"" + ns.getKey() + "\"]"));
            }
        }
        return new RegistriesD(defaultDocker, docker);
    }

    private static Entry entry(JsonNode node, Path file, String where) {
        if (node == null || node.isNull()) {
            return new Entry(Optional.empty(), Optional.empty(), file);
        }
        if (!node.isObject()) {
            throw PolicyException.invalid(file + ": " + where + " is not a mapping");
        }
        Requirement.onlyFields(node, file + ": " + where, ENTRY_FIELDS);
        Optional<URI> lookaside = url(node, "lookaside", file, where).or(() -> url(node, "sigstore", file, where));
        Optional<Boolean> attachments = Optional.empty();
        if (node.has("use-sigstore-attachments")) {
            if (!node.get("use-sigstore-attachments").isBoolean()) {
                throw PolicyException.invalid(file + ": " + where + ".use-sigstore-attachments must be true or false");
            }
            attachments = Optional.of(node.get("use-sigstore-attachments").asBoolean());
        }
        return new Entry(lookaside, attachments, file);
    }

    private static Optional<URI> url(JsonNode node, String field, Path file, String where) {
        if (!node.hasNonNull(field)) {
            return Optional.empty();
        }
        String text = node.get(field).asText("");
        try {
            URI uri = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            if (!Set.of("file", "http", "https").contains(scheme)) {
                throw PolicyException.invalid(file + ": " + where + "." + field + ": \"" + text + "\" is not a file://, http:// or https:// URL");
            }
            return Optional.of(uri);
        } catch (java.net.URISyntaxException e) {
            throw PolicyException.invalid(file + ": " + where + "." + field + ": " + e.getMessage());
        }
    }

    /** The base URL of {@code image}'s simple-signing signatures. */
    URI lookaside(ImageReference image) {
        for (String ns : PolicyFile.namespaces(image)) {
            Entry e = docker.get(ns);
            if (e != null && e.lookaside().isPresent()) {
                return e.lookaside().get();
            }
        }
        return defaultDocker.flatMap(Entry::lookaside).orElse(BUILTIN_LOOKASIDE);
    }

    /** Whether sigstore signatures of {@code image} are read from the registry's OCI attachments. */
    boolean useSigstoreAttachments(ImageReference image) {
        for (String ns : PolicyFile.namespaces(image)) {
            Entry e = docker.get(ns);
            if (e != null && e.useSigstoreAttachments().isPresent()) {
                return e.useSigstoreAttachments().get();
            }
        }
        return defaultDocker.flatMap(Entry::useSigstoreAttachments).orElse(false);
    }

    /**
     * The URL of signature {@code index} (1-based) of manifest {@code digest}:
     * {@code <lookaside>/<repository path>@sha256=<hex>/signature-<index>}, the repository path being
     * the name without the registry host.
     */
    static URI signatureUrl(URI base, ImageReference image, String digest, int index) {
        String algorithm = digest.substring(0, digest.indexOf(':'));
        String hex = digest.substring(digest.indexOf(':') + 1);
        return URI.create(base + "/" + image.repository() + "@" + algorithm + "=" + hex + "/signature-" + index);
    }
}
