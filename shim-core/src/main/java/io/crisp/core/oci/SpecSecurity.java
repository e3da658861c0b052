package io.crisp.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security parts of a spec: capability sets, seccomp, AppArmor, masked and read-only paths.
 *
 * <p>crisp's default seccomp profile is a default-deny allow list built per container by
 * {@link DefaultSeccomp}: what every container may call, plus what the capabilities it holds unlock.
 */
final class SpecSecurity {
    private static final Logger log = LoggerFactory.getLogger(SpecSecurity.class);
    static final String APPARMOR_DEFAULT = "crisp-default";
    static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap");
    static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private final ObjectMapper json;
    private final HostFacts host;
    private final DefaultSeccomp defaultSeccomp;
    private final AtomicBoolean warnedApparmor = new AtomicBoolean();

    SpecSecurity(ObjectMapper json, HostFacts host) {
        this.json = json;
        this.host = host;
        this.defaultSeccomp = DefaultSeccomp.load();
    }

    /** crisp's default seccomp profile for a container holding {@code capabilities}, on this node's architecture. */
    ObjectNode defaultSeccomp(Collection<String> capabilities) {
        return defaultSeccomp.profile(DefaultSeccomp.nodeArch(), capabilities);
    }

    /** Sets process.capabilities: the given set as bounding, effective, permitted; ambient also inheritable. */
    void capabilities(ObjectNode process, List<String> caps, Collection<String> ambient) {
        ObjectNode c = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode a = c.putArray(set);
            caps.forEach(a::add);
            ambient.stream().filter(x -> !caps.contains(x)).forEach(a::add);
        }
        ArrayNode inheritable = c.putArray("inheritable");
        ArrayNode amb = c.putArray("ambient");
        ambient.forEach(x -> {
            inheritable.add(x);
            amb.add(x);
        });
    }

    /**
     * Sets linux.seccomp from the profile choice, or leaves it out (unconfined, privileged); the
     * runtime default depends on the process's {@code capabilities}.
     */
    void seccomp(ObjectNode linux, SecurityProfile profile, Collection<String> capabilities) {
        switch (profile.kind()) {
            case UNCONFINED -> { }
            case RUNTIME_DEFAULT -> linux.set("seccomp", defaultSeccomp(capabilities));
            case LOCALHOST -> linux.set("seccomp", localSeccomp(profile));
        }
    }

    private ObjectNode localSeccomp(SecurityProfile profile) {
        Path file = Path.of(profile.localhostRef());
        if (!file.isAbsolute()) {
            throw BackendException.invalidArgument("%s: the seccomp profile path must be absolute, got '%s'",
                    profile.field(), profile.localhostRef());
        }
        JsonNode doc;
        try {
            doc = json.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw BackendException.invalidArgument("%s: cannot read the seccomp profile %s: %s", profile.field(), file,
                    e.getMessage());
        }
        if (!(doc instanceof ObjectNode o) || !o.path("defaultAction").isTextual()) {
            throw BackendException.invalidArgument("%s: %s is not a seccomp profile (a JSON object with defaultAction)",
                    profile.field(), file);
        }
        return dockerToOci(o);
    }

    /** Profiles written for Docker use archMap and per-entry name; the OCI form has architectures and names. */
    private ObjectNode dockerToOci(ObjectNode profile) {
        ObjectNode out = profile.deepCopy();
        if (!out.has("architectures") && out.has("archMap")) {
            ArrayNode arches = out.putArray("architectures");
            out.path("archMap").forEach(m -> {
                arches.add(m.path("architecture").asText());
                m.path("subArchitectures").forEach(arches::add);
            });
        }
        out.remove("archMap");
        out.path("syscalls").forEach(s -> {
            if (s instanceof ObjectNode entry && entry.has("name") && !entry.has("names")) {
                entry.putArray("names").add(entry.get("name").asText());
                entry.remove("name");
            }
        });
        return out;
    }

    /** Sets process.apparmorProfile when the kernel has AppArmor enabled. */
    void apparmor(ObjectNode process, SecurityProfile profile, boolean privileged) {
        if (!host.apparmorEnabled()) {
            if (profile.kind() == SecurityProfile.Kind.LOCALHOST) {
                throw BackendException.failedPrecondition("%s: AppArmor profile '%s' requested but AppArmor is not enabled"
                        + " on this node", profile.field(), profile.localhostRef());
            }
            return;
        }
        if (privileged || profile.kind() == SecurityProfile.Kind.UNCONFINED) {
            process.put("apparmorProfile", "unconfined");
        } else if (profile.kind() == SecurityProfile.Kind.LOCALHOST) {
            process.put("apparmorProfile", profile.localhostRef());
        } else if (host.apparmorProfiles().contains(APPARMOR_DEFAULT)) {
            process.put("apparmorProfile", APPARMOR_DEFAULT);
        } else if (warnedApparmor.compareAndSet(false, true)) {
            log.warn("AppArmor profile {} is not loaded; containers asking for the runtime default run unconfined",
                    APPARMOR_DEFAULT);
        }
    }

    /** Sets linux.maskedPaths and linux.readonlyPaths: the given lists, or the defaults when empty. */
    static void paths(ObjectNode linux, List<String> masked, List<String> readonly) {
        ArrayNode m = linux.putArray("maskedPaths");
        (masked.isEmpty() ? MASKED_PATHS : masked).forEach(m::add);
        ArrayNode r = linux.putArray("readonlyPaths");
        (readonly.isEmpty() ? READONLY_PATHS : readonly).forEach(r::add);
    }
}
