package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One network configuration list, validated: a name, a supported cniVersion and at least one plugin,
 * each with a plain {@code type}. A single-plugin {@code .conf} is wrapped into a list of one.
 * {@link #json()} is the list as used, which is what the cache keeps so DEL sees exactly what ADD saw.
 */
public record CniConfig(String name, String cniVersion, boolean disableCheck, List<ObjectNode> plugins, ObjectNode json) {
    static final ObjectMapper JSON = Json.MAPPER;
    public static final Set<String> SUPPORTED_VERSIONS = Set.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");
    private static final Pattern PLUGIN_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]*");

    public CniConfig {
        plugins = List.copyOf(plugins);
    }

    /** Parses a network configuration list (the content of a {@code .conflist}). */
    public static CniConfig parseList(byte[] content) {
        return fromList(readObject(content));
    }

    /** Parses a single plugin configuration (a {@code .conf} or {@code .json}) and wraps it into a list. */
    public static CniConfig parseSingle(byte[] content) {
        ObjectNode conf = readObject(content);
        ObjectNode list = JSON.createObjectNode();
        if (conf.has("cniVersion")) {
            list.set("cniVersion", conf.get("cniVersion"));
        }
        if (conf.has("name")) {
            list.set("name", conf.get("name"));
        }
        list.putArray("plugins").add(conf);
        return fromList(list);
    }

    /** Re-reads a list that was validated before (from the cache). */
    public static CniConfig fromList(JsonNode node) {
        if (!(node instanceof ObjectNode list)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String name = text(list, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("no \"name\"");
        }
        String version = text(list, "cniVersion");
        if (!SUPPORTED_VERSIONS.contains(version)) {
            throw new IllegalArgumentException("unsupported cniVersion \"" + version + "\" (supported: "
                    + String.join(", ", SUPPORTED_VERSIONS.stream().sorted().toList()) + ")");
        }
        if (!(list.get("plugins") instanceof ArrayNode array) || array.isEmpty()) {
            throw new IllegalArgumentException("no plugins");
        }
        List<ObjectNode> plugins = new ArrayList<>();
        for (JsonNode plugin : array) {
            if (!(plugin instanceof ObjectNode object)) {
                throw new IllegalArgumentException("a plugin entry is not a JSON object");
            }
            String type = text(object, "type");
            if (!PLUGIN_TYPE.matcher(type).matches()) {
                throw new IllegalArgumentException("plugin with invalid or missing \"type\" \"" + type + "\"");
            }
            plugins.add(object);
        }
        return new CniConfig(name, version, list.path("disableCheck").asBoolean(false), plugins, list);
    }

    /** True when the list's version knows CHECK (0.4.0 and later). */
    public boolean supportsCheck() {
        return !cniVersion.startsWith("0.3.");
    }

    public List<String> pluginTypes() {
        return plugins.stream().map(p -> p.get("type").asText()).toList();
    }

    /**
     * The stdin of one plugin call: its own config with the list's name and cniVersion, the capability
     * arguments it declares under runtimeConfig, and prevResult when there is one.
     */
    public ObjectNode pluginInput(int index, ObjectNode capabilityArgs, JsonNode prevResult) {
        ObjectNode input = plugins.get(index).deepCopy();
        input.put("name", name);
        input.put("cniVersion", cniVersion);
        ObjectNode runtimeConfig = RuntimeConfigs.forPlugin(plugins.get(index), capabilityArgs);
        if (!runtimeConfig.isEmpty()) {
            input.set("runtimeConfig", runtimeConfig);
        } else {
            input.remove("runtimeConfig");
        }
        if (prevResult != null && !prevResult.isNull()) {
            input.set("prevResult", prevResult);
        } else {
            input.remove("prevResult");
        }
        return input;
    }

    private static ObjectNode readObject(byte[] content) {
        JsonNode node;
        try {
            node = JSON.readTree(content);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return object;
    }

    private static String text(ObjectNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : "";
    }
}
