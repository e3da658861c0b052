package io.crisp.core.image.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.crisp.core.image.ref.ImageReference;
import io.crisp.core.state.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A containers-policy.json(5) file: the global {@code default} requirements and, per transport,
 * requirements per scope. crisp pulls through the {@code docker} transport only; the other
 * transports' entries are read (a broken one still refuses the file, as the format asks) and never
 * used.
 *
 * <p>Scopes of the docker transport, most specific first, for {@code host:port/ns/repo:tag}: the
 * reference itself ({@code host:port/ns/repo:tag}, or {@code ...@sha256:...} for a digest
 * reference), the repository ({@code host:port/ns/repo}), each enclosing namespace
 * ({@code host:port/ns}), the host ({@code host:port}), then for a host without a port the
 * wildcards {@code *.example.com}, {@code *.com} of its domain; then the transport's {@code ""}
 * scope, then {@code default}. The first scope present in the file decides, alone.
 */
final class PolicyFile {
    private static final ObjectReader JSON = Json.MAPPER.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final List<Requirement> defaults;
    private final Map<String, List<Requirement>> docker;

    private PolicyFile(List<Requirement> defaults, Map<String, List<Requirement>> docker) {
        this.defaults = defaults;
        this.docker = docker;
    }

    /** The requirements for {@code image} and the scope they come from, as a message names it. */
    record Scoped(String scope, List<Requirement> requirements) {}

    /**
     * @throws NoSuchFileException when {@code file} does not exist
     * @throws PolicyException when it is not a valid policy
     */
    static PolicyFile load(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw PolicyException.invalid("not valid JSON: " + e.getOriginalMessage());
        }
        return parse(root);
    }

    static PolicyFile parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw PolicyException.invalid("the top level is not a JSON object");
        }
        Requirement.onlyFields(root, "policy", Set.of("default", "transports"));
        if (!root.has("default")) {
            throw PolicyException.invalid("\"default\" is missing (it may be [{\"type\": \"reject\"}])");
        }
        List<Requirement> defaults = requirements(root.get("default"), "default");
        Map<String, List<Requirement>> docker = new LinkedHashMap<>();
        JsonNode transports = root.path("transports");
        if (!transports.isMissingNode() && !transports.isObject()) {
            throw PolicyException.invalid("\"transports\" is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = transports.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> transport = it.next();
            if (!transport.getValue().isObject()) {
                throw PolicyException.invalid("transports." + transport.getKey() + " is not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> scopes = transport.getValue().fields(); scopes.hasNext(); ) {
                Map.Entry<String, JsonNode> scope = scopes.next();
                String where = "transports." + transport.getKey() + "[\"" + scope.getKey() + "\"]";
                List<Requirement> list = requirements(scope.getValue(), where);
                if (transport.getKey().equals("docker")) {
                    checkDockerScope(scope.getKey(), where);
                    docker.put(scope.getKey(), list);
                }
            }
        }
        return new PolicyFile(defaults, docker);
    }

    private static List<Requirement> requirements(JsonNode node, String where) {
        if (!node.isArray() || node.isEmpty()) {
            throw PolicyException.invalid(where + " must be a non-empty array of requirements");
        }
        List<Requirement> list = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            list.add(Requirement.parse(node.get(i), where + "[" + i + "]"));
        }
        return List.copyOf(list);
    }

    private static void checkDockerScope(String scope, String where) {
        if (scope.isEmpty()) {
            return;
        }
        if (scope.startsWith("*.")) {
            if (scope.contains("/") || scope.contains(":") || scope.substring(2).contains("*")) {
                throw PolicyException.invalid(where + ": a wildcard scope is *.domain, with no port or path");
            }
            return;
        }
        if (scope.contains("*") || scope.endsWith("/") || scope.contains("//") || !scope.equals(scope.strip())) {
            throw PolicyException.invalid(where + ": \"" + scope + "\" is not a docker scope (host[:port][/namespace...][/repo][:tag|@digest] or *.domain)");
        }
    }

    /** The requirements for pulling {@code image}: the most specific docker scope present, else the transport's "", else default. */
    Scoped forImage(ImageReference image) {
        for (String scope : scopes(image)) {
            List<Requirement> found = docker.get(scope);
            if (found != null) {
                return new Scoped("docker:" + scope, found);
            }
        }
        List<Requirement> transportDefault = docker.get("");
        return transportDefault != null ? new Scoped("docker (transport default)", transportDefault) : new Scoped("default", defaults);
    }

    /** The scopes that can hold {@code image}'s requirements, most specific first. */
    static List<String> scopes(ImageReference image) {
        List<String> scopes = new ArrayList<>();
        scopes.add(identity(image).toString());
        scopes.addAll(namespaces(image));
        return scopes;
    }

    /** The repository, its enclosing namespaces, the host, then wildcard domains: what registries.d's {@code docker:} keys match too. */
    static List<String> namespaces(ImageReference image) {
        List<String> names = new ArrayList<>();
        String name = image.name();
        names.add(name);
        for (int slash = name.lastIndexOf('/'); slash > 0; slash = name.lastIndexOf('/', slash - 1)) {
            names.add(name.substring(0, slash));
        }
        String host = image.registry();
        if (!host.contains(":") && !host.startsWith("[")) {
            for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
                names.add("*" + host.substring(dot));
            }
        }
        return names;
    }

    /** The reference a policy speaks of: a digest reference drops its tag (containers/image refuses both at once). */
    static ImageReference identity(ImageReference image) {
        return image.isDigested() && image.tag().isPresent() ? image.withoutTag() : image;
    }
}
