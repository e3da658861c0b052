package io.crisp.plugin.lxc;

import com.fasterxml.jackson.databind.JsonNode;
import io.crisp.spi.BackendException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OCI {@code linux.resources} as cgroup settings: controller file name to value, in the order they
 * must be written. The same settings become {@code lxc.cgroup.FILE = VALUE} (v1) or
 * {@code lxc.cgroup2.FILE = VALUE} (v2) lines at create, and direct writes into the container's
 * cgroup on an update.
 */
final class LxcResources {
    private LxcResources() {}

    /** The cgroup files and values of {@code resources}; devices too when {@code withDevices}. */
    static List<Map.Entry<String, String>> settings(String field, JsonNode resources, boolean v2, boolean swapAccounting,
            boolean withDevices) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        if (resources == null || resources.isMissingNode() || resources.isNull()) {
            return out;
        }
        if (withDevices) {
            devices(field + ".devices", resources.path("devices"), v2, out);
        }
        return v2 ? v2(field, resources, out) : v1(field, resources, swapAccounting, out);
    }

    private static List<Map.Entry<String, String>> v1(String field, JsonNode r, boolean swapAccounting,
            List<Map.Entry<String, String>> out) {
        JsonNode memory = r.path("memory");
        long limit = positive(memory.path("limit"));
        // memsw must stay >= the limit: raise the limit first, then memsw.
        put(out, "memory.limit_in_bytes", limit);
        put(out, "memory.soft_limit_in_bytes", positive(memory.path("reservation")));
        if (swapAccounting) {
            put(out, "memory.memsw.limit_in_bytes", positive(memory.path("swap")));
        }
        if (memory.path("swappiness").canConvertToLong() && memory.path("swappiness").asLong() >= 0
                && memory.path("swappiness").asLong() <= 100) {
            put(out, "memory.swappiness", memory.path("swappiness").asLong());
        }
        if (memory.path("disableOOMKiller").asBoolean(false)) {
            out.add(Map.entry("memory.oom_control", "1"));
        }
        JsonNode cpu = r.path("cpu");
        put(out, "cpu.shares", positive(cpu.path("shares")));
        put(out, "cpu.cfs_period_us", positive(cpu.path("period")));
        if (cpu.path("quota").canConvertToLong() && cpu.path("quota").asLong() != 0) {
            out.add(Map.entry("cpu.cfs_quota_us", Long.toString(Math.max(-1, cpu.path("quota").asLong()))));
        }
        text(out, "cpuset.cpus", cpu.path("cpus"));
        text(out, "cpuset.mems", cpu.path("mems"));
        JsonNode pids = r.path("pids").path("limit");
        if (pids.canConvertToLong() && pids.asLong() != 0) {
            out.add(Map.entry("pids.max", pids.asLong() < 0 ? "max" : Long.toString(pids.asLong())));
        }
        put(out, "blkio.weight", positive(r.path("blockIO").path("weight")));
        for (JsonNode huge : r.path("hugepageLimits")) {
            String size = pageSize(field, huge.path("pageSize").asText(""));
            out.add(Map.entry("hugetlb." + size + ".limit_in_bytes", Long.toString(huge.path("limit").asLong())));
        }
        if (r.path("unified").size() > 0) {
            throw BackendException.invalidArgument("%s.unified: cgroup v2 settings on a cgroup v1 host", field);
        }
        return out;
    }

    private static List<Map.Entry<String, String>> v2(String field, JsonNode r, List<Map.Entry<String, String>> out) {
        JsonNode memory = r.path("memory");
        long limit = positive(memory.path("limit"));
        put(out, "memory.max", limit);
        put(out, "memory.low", positive(memory.path("reservation")));
        long swap = positive(memory.path("swap"));
        if (swap > 0 && limit > 0) {
            out.add(Map.entry("memory.swap.max", Long.toString(Math.max(0, swap - limit))));
        }
        JsonNode cpu = r.path("cpu");
        long shares = positive(cpu.path("shares"));
        if (shares > 0) {
            // The conversion runc and crun use: shares 2..262144 onto weight 1..10000.
            long clamped = Math.max(2, Math.min(262144, shares));
            out.add(Map.entry("cpu.weight", Long.toString(1 + ((clamped - 2) * 9999) / 262142)));
        }
        long quota = cpu.path("quota").asLong(0);
        long period = positive(cpu.path("period"));
        if (quota != 0 || period > 0) {
            out.add(Map.entry("cpu.max", (quota > 0 ? Long.toString(quota) : "max") + " " + (period > 0 ? period : 100000)));
        }
        text(out, "cpuset.cpus", cpu.path("cpus"));
        text(out, "cpuset.mems", cpu.path("mems"));
        JsonNode pids = r.path("pids").path("limit");
        if (pids.canConvertToLong() && pids.asLong() != 0) {
            out.add(Map.entry("pids.max", pids.asLong() < 0 ? "max" : Long.toString(pids.asLong())));
        }
        for (JsonNode huge : r.path("hugepageLimits")) {
            String size = pageSize(field, huge.path("pageSize").asText(""));
            out.add(Map.entry("hugetlb." + size + ".max", Long.toString(huge.path("limit").asLong())));
        }
        Map<String, String> unified = new LinkedHashMap<>();
        r.path("unified").fields().forEachRemaining(e -> unified.put(e.getKey(), e.getValue().asText()));
        unified.forEach((k, v) -> {
            if (!k.matches("[a-z0-9_]+\\.[a-z0-9_.]+") || v.contains("\n")) {
                throw BackendException.invalidArgument("%s.unified: '%s' is not a cgroup file", field, k);
            }
            out.add(Map.entry(k, v));
        });
        return out;
    }

    /** The device cgroup rules: {@code devices.deny = a} / {@code devices.allow = c 1:3 rwm}. */
    private static void devices(String field, JsonNode devices, boolean v2, List<Map.Entry<String, String>> out) {
        int i = 0;
        for (JsonNode d : devices) {
            String type = d.path("type").asText("a");
            if (!type.matches("[acb]")) {
                throw BackendException.invalidArgument("%s[%d].type must be a, c or b, got '%s'", field, i, type);
            }
            String access = d.path("access").asText("rwm");
            if (!access.matches("[rwm]{1,3}")) {
                throw BackendException.invalidArgument("%s[%d].access must be made of r, w and m, got '%s'", field, i, access);
            }
            String rule = type.equals("a") && !d.has("major") && !d.has("minor") ? "a"
                    : type + " " + number(d.path("major")) + ":" + number(d.path("minor")) + " " + access;
            out.add(Map.entry(d.path("allow").asBoolean(false) ? "devices.allow" : "devices.deny", rule));
            i++;
        }
    }

    private static String number(JsonNode n) {
        return n.canConvertToLong() && n.asLong() >= 0 ? Long.toString(n.asLong()) : "*";
    }

    private static String pageSize(String field, String size) {
        if (!size.matches("[0-9]+[KMG]B")) {
            throw BackendException.invalidArgument("%s.hugepageLimits: page size '%s' is not like 2MB", field, size);
        }
        return size;
    }

    private static long positive(JsonNode n) {
        return n.canConvertToLong() && n.asLong() > 0 ? n.asLong() : 0;
    }

    private static void put(List<Map.Entry<String, String>> out, String file, long value) {
        if (value > 0) {
            out.add(Map.entry(file, Long.toString(value)));
        }
    }

    private static void text(List<Map.Entry<String, String>> out, String file, JsonNode value) {
        String v = value.asText("");
        if (!v.isEmpty()) {
            out.add(Map.entry(file, v));
        }
    }
}
