package io.crisp.core.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the configuration the way CRI-O does: {@code crisp.toml}, then every {@code *.toml} in the
 * drop-in directory in lexical order (a later file wins key by key, tables merge), then flags.
 *
 * <p>Each file is checked on its own before it is merged, so an error names the file that holds
 * the mistake, the table and the key. Handler tables are checked for their {@code plugin} key and
 * the generic spec keys ({@link SpecRuleKeys}); their other keys are the plugin's to validate when
 * the handler is created.
 */
public final class ConfigLoader {
    /** A RuntimeClass handler is a DNS label (Kubernetes validates it the same way). */
    private static final Pattern HANDLER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final String RUNTIMES = "runtimes";

    private final TomlMapper mapper = new TomlMapper();
    private final Path crispHome;

    /** @param crispHome the installation directory; plugins_dir defaults to its {@code plugins} folder */
    public ConfigLoader(Path crispHome) {
        this.crispHome = crispHome;
    }

    /**
     * @param configFile the main file; when {@code required} is false a missing file means defaults
     * @param dropInDir drop-ins; a missing directory is fine
     * @param flags values from the command line, by key, as text
     */
    public CrispConfig load(Path configFile, boolean required, Path dropInDir, Map<ConfigKey, String> flags) {
        List<Path> files = new ArrayList<>();
        if (Files.isRegularFile(configFile)) {
            files.add(configFile);
        } else if (required) {
            throw new ConfigException(configFile + ": configuration file not found");
        }
        files.addAll(dropIns(dropInDir));

        Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
        for (ConfigKey key : ConfigKey.values()) {
            values.put(key, key.defaultValue(crispHome));
        }
        Map<String, Map<String, Object>> runtimes = new LinkedHashMap<>();
        Map<String, Path> runtimeSources = new LinkedHashMap<>();
        for (Path file : files) {
            readFile(file, values, runtimes, runtimeSources);
        }
        for (Map.Entry<ConfigKey, String> flag : flags.entrySet()) {
            ConfigKey key = flag.getKey();
            Object value = key.type().fromText(flag.getValue());
            if (value == null) {
                throw new ConfigException("flag " + key.flag() + ": expected " + key.type().expected() + ", got \"" + flag.getValue() + "\"");
            }
            values.put(key, value);
        }

        Map<String, RuntimeTable> tables = new LinkedHashMap<>();
        if (runtimes.isEmpty()) {
            // No file defines a handler: serve the runc plugin under its own name, as CRI-O ships runc.
            tables.put("runc", new RuntimeTable("runc", "runc", Map.of(), Optional.empty()));
        }
        for (Map.Entry<String, Map<String, Object>> e : runtimes.entrySet()) {
            tables.put(e.getKey(), runtimeTable(e.getKey(), e.getValue(), runtimeSources.get(e.getKey())));
        }
        checkReferences(values, tables);
        return new CrispConfig(values, tables, files);
    }

    private List<Path> dropIns(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> result = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.toml")) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    result.add(p);
                }
            }
        } catch (IOException e) {
            throw new ConfigException(dir + ": cannot list drop-in directory: " + e.getMessage(), e);
        }
        result.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return result;
    }

    private void readFile(Path file, Map<ConfigKey, Object> values, Map<String, Map<String, Object>> runtimes, Map<String, Path> sources) {
        JsonNode root;
        String text = null;
        try {
            text = Files.readString(file);
            root = mapper.readTree(text);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": configuration file not found", e);
        } catch (JacksonException e) {
            String duplicate = e.getOriginalMessage().startsWith("Duplicate key") ? duplicateKey(text) : "";
            throw new ConfigException(duplicate.isEmpty()
                    ? file + where(e.getLocation(), text) + ": not valid TOML: " + e.getOriginalMessage()
                    : file + duplicate, e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(RUNTIMES)) {
                readRuntimes(file, node, runtimes, sources);
            } else if (node.isObject() && ConfigKey.tables().contains(name) && !name.isEmpty()) {
                for (Iterator<Map.Entry<String, JsonNode>> keys = node.fields(); keys.hasNext(); ) {
                    Map.Entry<String, JsonNode> key = keys.next();
                    readScalar(file, name, key.getKey(), key.getValue(), values);
                }
            } else if (node.isObject()) {
                throw new ConfigException(file + ": unknown table [" + name + "] (known tables: "
                        + String.join(", ", knownTables()) + ")");
            } else {
                readScalar(file, "", name, node, values);
            }
        }
    }

    private static void readScalar(Path file, String table, String name, JsonNode node, Map<ConfigKey, Object> values) {
        String where = file + ": " + (table.isEmpty() ? "top level" : "table [" + table + "]");
        ConfigKey key = ConfigKey.find(table, name).orElseThrow(() -> new ConfigException(
                where + ": unknown key '" + name + "' (known keys: " + String.join(", ", ConfigKey.keysOf(table)) + ")"));
        Object value = key.type().fromToml(node);
        if (value == null) {
            throw new ConfigException(where + " key '" + name + "': expected " + key.type().expected() + ", got " + node);
        }
        values.put(key, value);
    }

    private void readRuntimes(Path file, JsonNode node, Map<String, Map<String, Object>> runtimes, Map<String, Path> sources) {
        if (!node.isObject()) {
            throw new ConfigException(file + ": 'runtimes' must be tables, one per handler: [runtimes.NAME]");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> handler = it.next();
            String name = handler.getKey();
            if (!HANDLER_NAME.matcher(name).matches()) {
                throw new ConfigException(file + ": table [runtimes." + name + "]: handler name '" + name
                        + "' is not a DNS label (lower-case letters, digits and '-', at most 63 characters), as RuntimeClass handlers must be");
            }
            if (!handler.getValue().isObject()) {
                throw new ConfigException(file + ": key 'runtimes." + name + "': expected a table [runtimes." + name + "], got " + handler.getValue());
            }
            ObjectNode table = (ObjectNode) handler.getValue();
            JsonNode plugin = table.get("plugin");
            if (plugin != null && (!plugin.isTextual() || plugin.textValue().isBlank())) {
                throw new ConfigException(file + ": table [runtimes." + name + "] key 'plugin': expected the id of a plugin (a string), got " + plugin);
            }
            Map<String, Object> values;
            try {
                values = toJava(table, "");
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": table [runtimes." + name + "] " + e.getMessage());
            }
            SpecRuleKeys.read(file + ": table [runtimes." + name + "]", values, Map.of());
            CallLimits.read(file + ": table [runtimes." + name + "]", values);
            Map<String, Object> merged = runtimes.computeIfAbsent(name, n -> new LinkedHashMap<>());
            mergeInto(merged, values);
            sources.put(name, file);
        }
    }

    @SuppressWarnings("unchecked")
    private static void mergeInto(Map<String, Object> target, Map<String, Object> source) {
        for (Map.Entry<String, Object> e : source.entrySet()) {
            Object existing = target.get(e.getKey());
            if (existing instanceof Map && e.getValue() instanceof Map) {
                mergeInto((Map<String, Object>) existing, (Map<String, Object>) e.getValue());
            } else {
                target.put(e.getKey(), e.getValue());
            }
        }
    }

    private static RuntimeTable runtimeTable(String name, Map<String, Object> table, Path source) {
        Map<String, Object> options = new LinkedHashMap<>(table);
        Object plugin = options.remove("plugin");
        if (plugin == null) {
            throw new ConfigException(source + ": table [runtimes." + name + "]: key 'plugin' is missing; name the plugin that serves handler '"
                    + name + "' (for example plugin = \"runc\")");
        }
        return new RuntimeTable(name, (String) plugin, options, Optional.of(source));
    }

    private static void checkReferences(Map<ConfigKey, Object> values, Map<String, RuntimeTable> tables) {
        String listen = (String) values.get(ConfigKey.LISTEN);
        if (CrispConfig.socketPathOf(listen) == null) {
            throw new ConfigException("table [api] key 'listen': \"" + listen + "\" is not a unix socket endpoint (unix:///run/crisp/crisp.sock)");
        }
        String cert = (String) values.get(ConfigKey.STREAM_TLS_CERT);
        String key = (String) values.get(ConfigKey.STREAM_TLS_KEY);
        if (cert.isEmpty() != key.isEmpty()) {
            throw new ConfigException("table [stream]: stream_tls_cert and stream_tls_key come together; set both for HTTPS streaming or neither");
        }
        for (ConfigKey k : List.of(ConfigKey.STREAM_TLS_CERT, ConfigKey.STREAM_TLS_KEY)) {
            String v = (String) values.get(k);
            if (!v.isEmpty() && !v.startsWith("/")) {
                throw new ConfigException("table [stream] key '" + k.key() + "': expected an absolute path, got \"" + v + "\"");
            }
        }
        String logFile = (String) values.get(ConfigKey.LOG_FILE);
        if (!logFile.isEmpty() && !logFile.startsWith("/")) {
            throw new ConfigException("top level key 'log_file': expected an absolute path or empty (stderr), got \"" + logFile + "\"");
        }
        String address = (String) values.get(ConfigKey.STREAM_ADDRESS);
        if (address.isBlank()) {
            throw new ConfigException("table [stream] key 'stream_address': empty; use 127.0.0.1 (the default) or an address of this node");
        }
        String defaultRuntime = (String) values.get(ConfigKey.DEFAULT_RUNTIME);
        if (!tables.containsKey(defaultRuntime)) {
            throw new ConfigException("table [runtime] key 'default_runtime': handler '" + defaultRuntime
                    + "' has no [runtimes." + defaultRuntime + "] table (configured handlers: " + String.join(", ", tables.keySet()) + ")");
        }
    }

    private static List<String> knownTables() {
        List<String> names = new ArrayList<>();
        for (String t : ConfigKey.tables()) {
            if (!t.isEmpty()) {
                names.add("[" + t + "]");
            }
        }
        names.add("[runtimes.NAME]");
        return names;
    }

    /**
     * TOML tree to plain Java: String, Long, Double, Boolean, List, Map (insertion-ordered).
     *
     * @throws IllegalArgumentException naming the key for an integer beyond 64 bits, which TOML forbids
     */
    static Object toJavaValue(JsonNode node, String key) {
        if (node.isObject()) {
            return toJava((ObjectNode) node, key + ".");
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(item -> list.add(toJavaValue(item, key)));
            return list;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            if (!node.canConvertToLong()) {
                throw new IllegalArgumentException("key '" + key + "': " + node + " does not fit in a 64-bit integer");
            }
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }

    private static Map<String, Object> toJava(ObjectNode node, String prefix) {
        Map<String, Object> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), toJavaValue(e.getValue(), prefix + e.getKey())));
        return map;
    }

    /**
     * {@code :LINE:COLUMN} of a syntax error and the line itself, for the editor the operator has open
     * ({@code file:3:7}); "" when the parser gave no position.
     */
    static String where(com.fasterxml.jackson.core.JsonLocation location, String text) {
        if (location == null || location.getLineNr() < 1 || text == null) {
            return "";
        }
        String[] lines = text.split("\n", -1);
        int line = location.getLineNr();
        String shown = line <= lines.length && !lines[line - 1].isBlank() ? " (" + lines[line - 1].strip() + ")" : "";
        return ":" + line + ":" + Math.max(location.getColumnNr(), 1) + shown;
    }

    private static final java.util.regex.Pattern TABLE_LINE = java.util.regex.Pattern.compile("\\s*\\[+\\s*([^\\]]+?)\\s*\\]+.*");
    private static final java.util.regex.Pattern KEY_LINE = java.util.regex.Pattern.compile("\\s*([A-Za-z0-9_.\"-]+)\\s*=.*");

    /**
     * The parser says only "Duplicate key": find which, by its line ({@code :LINE: key 'x' in [t] is set
     * again (first on line N)}); "" when the simple line scan finds none (a duplicate through dotted keys
     * or inline tables).
     */
    static String duplicateKey(String text) {
        Map<String, Integer> seen = new java.util.HashMap<>();
        String table = "";
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            java.util.regex.Matcher t = TABLE_LINE.matcher(lines[i]);
            if (t.matches()) {
                table = t.group(1);
                continue;
            }
            java.util.regex.Matcher k = KEY_LINE.matcher(lines[i]);
            if (k.matches()) {
                Integer first = seen.putIfAbsent(table + "\u0000" + k.group(1), i + 1);
                if (first != null) {
                    return ":" + (i + 1) + ": not valid TOML: key '" + k.group(1) + "'"
                            + (table.isEmpty() ? " at the top level" : " in [" + table + "]") + " is set again (first on line "
                            + first + ")";
                }
            }
        }
        return "";
    }
}
