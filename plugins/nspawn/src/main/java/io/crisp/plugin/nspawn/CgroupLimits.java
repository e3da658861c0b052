package io.crisp.plugin.nspawn;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes an OCI {@code linux.resources} object into an app's (or pod's) cgroup, at create and on
 * UpdateContainerResources: memory limit, swap and reservation, cpu shares, quota and period, cpuset
 * cpus and mems, pids limit, hugepage limits, device rules (v1) and the unified map (v2). A value
 * the kernel refuses fails with the file and the kernel's words.
 */
final class CgroupLimits {
    private final CgroupTree tree;

    CgroupLimits(CgroupTree tree) {
        this.tree = tree;
    }

    void apply(String cgroupsPath, JsonNode resources) {
        if (resources == null || resources.isMissingNode() || resources.isNull()) {
            return;
        }
        boolean v2 = tree.hierarchies().stream().allMatch(CgroupTree.Hierarchy::unified);
        JsonNode memory = resources.path("memory");
        JsonNode cpu = resources.path("cpu");
        if (v2) {
            Optional<Path> dir = tree.dir(cgroupsPath, "cgroup.controllers");
            if (dir.isEmpty()) {
                return;
            }
            Path d = dir.get();
            positive(memory, "limit").ifPresent(v -> write(d, "memory.max", Long.toString(v)));
            positive(memory, "reservation").ifPresent(v -> write(d, "memory.low", Long.toString(v)));
            positive(cpu, "shares").ifPresent(v -> write(d, "cpu.weight", Long.toString(1 + ((v - 2) * 9999) / 262142)));
            if (cpu.has("quota") || cpu.has("period")) {
                long quota = cpu.path("quota").asLong(-1);
                long period = cpu.path("period").asLong(100000);
                write(d, "cpu.max", (quota > 0 ? Long.toString(quota) : "max") + " " + period);
            }
            text(cpu, "cpus").ifPresent(v -> write(d, "cpuset.cpus", v));
            text(cpu, "mems").ifPresent(v -> write(d, "cpuset.mems", v));
            positive(resources.path("pids"), "limit").ifPresent(v -> write(d, "pids.max", Long.toString(v)));
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) () -> resources.path("unified").fields()) {
                if (e.getKey().contains("/") || e.getKey().startsWith(".")) {
                    throw BackendException.invalidArgument("linux.resources.unified: '%s' is not a cgroup file", e.getKey());
                }
                write(d, e.getKey(), e.getValue().asText());
            }
            return;
        }
        tree.dir(cgroupsPath, "memory.limit_in_bytes").ifPresent(d -> {
            positive(memory, "limit").ifPresent(limit -> {
                Optional<Long> swap = positive(memory, "swap").filter(s -> Files.exists(d.resolve("memory.memsw.limit_in_bytes")));
                if (swap.isPresent()) {
                    // memsw must stay >= limit at every step: raise memsw first when the limit grows.
                    try {
                        write(d, "memory.limit_in_bytes", Long.toString(limit));
                        write(d, "memory.memsw.limit_in_bytes", Long.toString(swap.get()));
                    } catch (BackendException e) {
                        write(d, "memory.memsw.limit_in_bytes", Long.toString(swap.get()));
                        write(d, "memory.limit_in_bytes", Long.toString(limit));
                    }
                } else {
                    write(d, "memory.limit_in_bytes", Long.toString(limit));
                }
            });
            positive(memory, "reservation").ifPresent(v -> write(d, "memory.soft_limit_in_bytes", Long.toString(v)));
        });
        tree.dir(cgroupsPath, "cpu.shares").ifPresent(d -> {
            positive(cpu, "shares").ifPresent(v -> write(d, "cpu.shares", Long.toString(v)));
            positive(cpu, "period").ifPresent(v -> write(d, "cpu.cfs_period_us", Long.toString(v)));
            if (cpu.has("quota")) {
                long quota = cpu.path("quota").asLong();
                write(d, "cpu.cfs_quota_us", Long.toString(quota > 0 ? quota : -1));
            }
        });
        tree.dir(cgroupsPath, "cpuset.cpus").ifPresent(d -> {
            text(cpu, "cpus").ifPresent(v -> write(d, "cpuset.cpus", v));
            text(cpu, "mems").ifPresent(v -> write(d, "cpuset.mems", v));
        });
        tree.dir(cgroupsPath, "pids.max").ifPresent(d ->
                positive(resources.path("pids"), "limit").ifPresent(v -> write(d, "pids.max", Long.toString(v))));
        tree.dir(cgroupsPath, "hugetlb.2MB.limit_in_bytes").ifPresent(d -> {
            for (JsonNode page : resources.path("hugepageLimits")) {
                String size = page.path("pageSize").asText("");
                if (!size.matches("[0-9]+[KMG]B")) {
                    throw BackendException.invalidArgument("linux.resources.hugepageLimits: page size '%s'", size);
                }
                write(d, "hugetlb." + size + ".limit_in_bytes", Long.toString(page.path("limit").asLong()));
            }
        });
        tree.dir(cgroupsPath, "devices.allow").ifPresent(d -> {
            for (String rule : deviceRules(resources.path("devices"))) {
                write(d, rule.startsWith("deny ") ? "devices.deny" : "devices.allow", rule.substring(rule.indexOf(' ') + 1));
            }
        });
    }

    /** v1 device rules in order: {@code allow c 1:3 rwm}, {@code deny a *:* rwm}. */
    static List<String> deviceRules(JsonNode rules) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : rules) {
            String type = r.path("type").asText("a");
            if (!List.of("a", "c", "b").contains(type)) {
                throw BackendException.invalidArgument("linux.resources.devices: type '%s' (a, c or b)", type);
            }
            String major = r.has("major") && r.path("major").asLong() >= 0 ? Long.toString(r.path("major").asLong()) : "*";
            String minor = r.has("minor") && r.path("minor").asLong() >= 0 ? Long.toString(r.path("minor").asLong()) : "*";
            String access = r.path("access").asText("rwm");
            if (!access.matches("[rwm]+")) {
                throw BackendException.invalidArgument("linux.resources.devices: access '%s' (r, w, m)", access);
            }
            out.add((r.path("allow").asBoolean(false) ? "allow " : "deny ") + type + " " + major + ":" + minor + " " + access);
        }
        return out;
    }

    private static Optional<Long> positive(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.canConvertToLong() && v.asLong() > 0 ? Optional.of(v.asLong()) : Optional.empty();
    }

    private static Optional<String> text(JsonNode node, String field) {
        String v = node.path(field).asText("");
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    private static void write(Path dir, String file, String value) {
        try {
            Files.writeString(dir.resolve(file), value);
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot write " + value + " to " + dir.resolve(file) + ": " + e.getMessage(), e);
        }
    }
}
