package io.crisp.core.image.ref;

import static io.crisp.core.image.ref.ImageReference.quote;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.crisp.core.config.ConfigException;
import io.crisp.core.image.ref.RegistriesConf.Mirror;
import io.crisp.core.image.ref.RegistriesConf.MirrorUse;
import io.crisp.core.image.ref.RegistriesConf.Registry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads one registries.conf file (version 2, containers-registries.conf(5)) into a
 * {@link RegistriesConf}: TOML first, then every key checked, so a misspelt or misplaced key is
 * refused with the file, the {@code [[registry]]} table (counted from 1, named by its prefix) and the
 * key, never ignored.
 */
final class RegistriesConfParser {
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

    private RegistriesConfParser() {}

    /**
     * Reads {@code file}, which must exist.
     *
     * @throws ConfigException naming the file, the {@code [[registry]]} table and the key at fault
     */
    static RegistriesConf read(Path file) {
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
        if (location.isEmpty() && !RegistriesConf.isWildcard(effectivePrefix)) {
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
    static void checkConflicts(List<Registry> registries) {
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
        if (RegistriesConf.isWildcard(prefix)) {
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
