package io.crisp.plugin.kata.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads, edits and writes a bundle's OCI runtime spec ({@code <bundle>/config.json}) as a {@link Json}
 * tree. Editing helpers change the tree in place; {@link #write} puts it back.
 */
public final class OciSpecEdits {
    /** The spec's file name inside a bundle. */
    public static final String CONFIG_FILE = "config.json";
    /** type_url of the protobuf Any holding {@link #execProcessJson}'s result. */
    public static final String PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";

    private OciSpecEdits() {
    }

    /**
     * The spec in {@code bundleDir/config.json}.
     *
     * @throws IOException if the file cannot be read, or is not UTF-8 JSON whose value is an object
     */
    public static Map<String, Object> read(Path bundleDir) throws IOException {
        Path file = bundleDir.resolve(CONFIG_FILE);
        String text = SpecFiles.readUtf8(file);
        try {
            return Json.parseObject(text);
        } catch (JsonException e) {
            throw new IOException(file + ": not a JSON spec: " + e.getMessage(), e);
        }
    }

    /**
     * Replaces {@code bundleDir/config.json} atomically with the spec as compact JSON, keeping the old
     * file's permissions (0600 for a new file).
     *
     * @throws IllegalArgumentException if the tree holds something JSON cannot express
     */
    public static void write(Path bundleDir, Map<String, Object> spec) throws IOException {
        byte[] content = Json.write(spec).getBytes(StandardCharsets.UTF_8);
        SpecFiles.writeAtomically(bundleDir.resolve(CONFIG_FILE), content);
    }

    /**
     * The spec's annotations, in their order; a copy that cannot be modified (empty when there are none).
     *
     * @throws IllegalArgumentException if annotations is not an object of strings
     */
    public static Map<String, String> annotations(Map<String, Object> spec) {
        Map<String, Object> raw = SpecTree.object(spec, "annotations", "annotations");
        if (raw == null) {
            return Map.of();
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : raw.entrySet()) {
            if (!(entry.getValue() instanceof String)) {
                throw new IllegalArgumentException("spec: annotation " + entry.getKey() + " is "
                        + JsonWriter.typeName(entry.getValue()) + ", expected a string");
            }
            annotations.put(entry.getKey(), (String) entry.getValue());
        }
        return Collections.unmodifiableMap(annotations);
    }

    /**
     * Drops the pod's own annotations that the handler does not pass through: every annotation whose key
     * is in {@code podAnnotationKeys} and matches none of {@code allowGlobs} (pod_annotations patterns,
     * where {@code *} matches any run of characters). Annotations the runtime set itself are not pod
     * annotations and stay.
     *
     * @return the removed keys, in the spec's order
     */
    public static List<String> filterAnnotations(Map<String, Object> spec, Set<String> podAnnotationKeys,
            List<String> allowGlobs) {
        List<AnnotationGlob> globs = new ArrayList<>();
        for (String pattern : allowGlobs) {
            globs.add(AnnotationGlob.of(pattern));
        }
        Map<String, Object> annotations = SpecTree.object(spec, "annotations", "annotations");
        List<String> removed = new ArrayList<>();
        if (annotations == null) {
            return removed;
        }
        for (String key : annotations.keySet()) {
            if (podAnnotationKeys.contains(key) && !matchesAny(globs, key)) {
                removed.add(key);
            }
        }
        annotations.keySet().removeAll(removed);
        return removed;
    }

    private static boolean matchesAny(List<AnnotationGlob> globs, String key) {
        for (AnnotationGlob glob : globs) {
            if (glob.matches(key)) {
                return true;
            }
        }
        return false;
    }

    /**
     * privileged_without_host_devices: when the spec is privileged, as containerd tells it (the device
     * cgroup has an allow-all rule: {@code "allow": true, "access": "rwm"} with no type, major or minor),
     * empties linux.devices and turns each allow-all rule into deny-all ({@code "allow": false,
     * "access": "rwm"}). A spec that is not privileged stays as it is.
     *
     * @return whether the spec changed
     */
    public static boolean stripHostDevices(Map<String, Object> spec) {
        Map<String, Object> linux = SpecTree.object(spec, "linux", "linux");
        if (linux == null) {
            return false;
        }
        Map<String, Object> resources = SpecTree.object(linux, "resources", "linux.resources");
        List<Object> rules = resources == null ? null : SpecTree.list(resources, "devices", "linux.resources.devices");
        if (rules == null) {
            return false;
        }
        List<Object> edited = new ArrayList<>(rules.size());
        boolean privileged = false;
        for (Object rule : rules) {
            if (isAllowAll(rule)) {
                privileged = true;
                edited.add(denyAll());
            } else {
                edited.add(rule);
            }
        }
        if (!privileged) {
            return false;
        }
        resources.put("devices", edited);
        if (SpecTree.list(linux, "devices", "linux.devices") != null) {
            linux.put("devices", new ArrayList<>());
        }
        return true;
    }

    private static boolean isAllowAll(Object rule) {
        if (!(rule instanceof Map)) {
            return false;
        }
        Map<?, ?> fields = (Map<?, ?>) rule;
        return Boolean.TRUE.equals(fields.get("allow"))
                && "rwm".equals(fields.get("access"))
                && SpecTree.isAbsent(fields.get("type"))
                && SpecTree.isAbsent(fields.get("major"))
                && SpecTree.isAbsent(fields.get("minor"));
    }

    private static Map<String, Object> denyAll() {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("allow", false);
        rule.put("access", "rwm");
        return rule;
    }

    /**
     * The OCI process of an exec in this container, as JSON: the container's {@code process} with
     * {@code args} replaced, {@code terminal} set and {@code consoleSize} removed. The spec is not changed.
     *
     * @throws IllegalArgumentException if the spec has no process, or args is empty
     */
    public static String execProcessJson(Map<String, Object> spec, List<String> args, boolean terminal) {
        List<String> command = List.copyOf(args);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("exec needs a command");
        }
        Map<String, Object> process = SpecTree.object(spec, "process", "process");
        if (process == null) {
            throw new IllegalArgumentException("spec has no process");
        }
        Map<String, Object> exec = new LinkedHashMap<>(process);
        exec.put("args", command);
        exec.put("terminal", terminal);
        exec.remove("consoleSize");
        return Json.write(exec);
    }
}
