package io.crisp.core.cdi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.crisp.core.state.Json;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDI (Container Device Interface) spec files of the node, read from the configured directories
 * ({@code /etc/cdi} and {@code /var/run/cdi} by default) each time devices are resolved, so a spec a
 * device plugin or DRA driver has just written is seen by the next container. Files end in
 * {@code .json}, {@code .yaml} or {@code .yml}; a device declared in a later directory replaces the
 * same device of an earlier one (the run-time directory wins over the static one). A file that cannot
 * be read or is not a valid spec is skipped with a warning, as the CDI reference implementation does.
 */
public final class CdiRegistry {
    private static final Logger log = LoggerFactory.getLogger(CdiRegistry.class);
    /** The CDI annotation prefix: each value is a comma-separated list of qualified device names. */
    public static final String ANNOTATION_PREFIX = "cdi.k8s.io/";
    /** vendor.tld/class=name: a vendor is a domain, a class and a name are simple identifiers. */
    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]?/[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final ObjectMapper YAML = new YAMLMapper();

    private final List<Path> dirs;

    public CdiRegistry(List<Path> dirs) {
        this.dirs = List.copyOf(dirs);
    }

    public List<Path> dirs() {
        return dirs;
    }

    /** One device of a spec file: its spec-level edits, its own edits, and where it was declared. */
    public record Device(String qualifiedName, Path file, JsonNode specEdits, JsonNode deviceEdits) {}

    /**
     * The devices named, in order, each once.
     *
     * @param requested qualified names ({@code vendor.com/class=name}) with the CRI field each came from
     * @throws BackendException INVALID_ARGUMENT naming the field for a malformed name or a device no spec
     *     declares
     */
    public List<Device> resolve(Map<String, String> requested) {
        if (requested.isEmpty()) {
            return List.of();
        }
        Map<String, Device> known = load();
        List<Device> out = new ArrayList<>();
        for (Map.Entry<String, String> e : requested.entrySet()) {
            String name = e.getKey();
            int eq = name.indexOf('=');
            if (eq < 0 || !KIND.matcher(name.substring(0, eq)).matches() || !NAME.matcher(name.substring(eq + 1)).matches()) {
                throw BackendException.invalidArgument("%s: '%s' is not a qualified CDI device name (vendor.com/class=name)",
                        e.getValue(), name);
            }
            Device d = known.get(name);
            if (d == null) {
                throw BackendException.invalidArgument("%s: unknown CDI device '%s' (no spec file in %s declares it)",
                        e.getValue(), name, dirs);
            }
            out.add(d);
        }
        return out;
    }

    /** Every device of every readable spec file, later directories replacing earlier ones. */
    Map<String, Device> load() {
        Map<String, Device> out = new LinkedHashMap<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            TreeSet<Path> files = new TreeSet<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.{json,yaml,yml}")) {
                entries.forEach(files::add);
            } catch (IOException e) {
                log.warn("Cannot list CDI spec directory {}: {}", dir, e.getMessage());
                continue;
            }
            for (Path file : files) {
                try {
                    read(file).forEach(d -> out.put(d.qualifiedName(), d));
                } catch (IOException | IllegalArgumentException e) {
                    log.warn("Skipping CDI spec file {}: {}", file, e.getMessage());
                }
            }
        }
        return out;
    }

    /** The devices of one spec file. */
    static List<Device> read(Path file) throws IOException {
        String name = file.getFileName().toString();
        JsonNode spec = (name.endsWith(".json") ? JSON : YAML).readTree(file.toFile());
        if (spec == null || !spec.isObject()) {
            throw new IllegalArgumentException("not a CDI spec (an object with cdiVersion, kind and devices)");
        }
        if (!spec.path("cdiVersion").isTextual() || spec.path("cdiVersion").asText().isEmpty()) {
            throw new IllegalArgumentException("cdiVersion is missing");
        }
        String kind = spec.path("kind").asText("");
        if (!KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("kind '" + kind + "' is not vendor.com/class");
        }
        if (!spec.path("devices").isArray() || spec.path("devices").isEmpty()) {
            throw new IllegalArgumentException("devices is missing or empty");
        }
        List<Device> out = new ArrayList<>();
        for (JsonNode device : spec.path("devices")) {
            String deviceName = device.path("name").asText("");
            if (!NAME.matcher(deviceName).matches()) {
                throw new IllegalArgumentException("device name '" + deviceName + "' is not valid");
            }
            out.add(new Device(kind + "=" + deviceName, file, spec.path("containerEdits"), device.path("containerEdits")));
        }
        return out;
    }
}
