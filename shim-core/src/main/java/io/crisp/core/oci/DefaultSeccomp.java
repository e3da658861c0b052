package io.crisp.core.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * crisp's RuntimeDefault seccomp profile: default action SCMP_ACT_ERRNO (EPERM) and an allow list,
 * read from {@code default-seccomp.txt} beside this class: the syscalls every container may make, those
 * of the node's architecture, and those a capability the container holds unlocks (CAP_SYS_ADMIN: mount,
 * unshare, setns...; CAP_SYS_PTRACE: ptrace...). The same substance as the profile Docker, containerd
 * and CRI-O share, so software that runs there runs here.
 *
 * <p>Written here rather than listed: clone is allowed only without namespace flags unless the
 * container holds CAP_SYS_ADMIN; clone3 (whose flags seccomp cannot read) fails with ENOSYS so that
 * libc falls back to clone; personality only for the harmless personas; socket for every family but
 * AF_VSOCK. Syscalls outside the list fail with EPERM, keyctl, add_key, request_key, userfaultfd and the
 * io_uring calls among them, for any container.
 */
final class DefaultSeccomp {
    static final int EPERM = 1;
    static final int ENOSYS = 38;
    /** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
    static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;
    static final int AF_VSOCK = 40;
    /** PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32 and the query value 0xffffffff. */
    static final List<Long> PERSONAS = List.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL);

    private final Map<String, List<String>> sections;

    private DefaultSeccomp(Map<String, List<String>> sections) {
        this.sections = sections;
    }

    /** The profile's lists, read from the class path. */
    static DefaultSeccomp load() {
        try (InputStream in = DefaultSeccomp.class.getResourceAsStream("default-seccomp.txt")) {
            if (in == null) {
                throw new IllegalStateException("default-seccomp.txt is missing from the class path");
            }
            return new DefaultSeccomp(parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, List<String>> parse(BufferedReader reader) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String section = null;
        for (String line; (line = reader.readLine()) != null; ) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            if (text.startsWith("[") && text.endsWith("]")) {
                section = text.substring(1, text.length() - 1).strip();
                out.computeIfAbsent(section, k -> new ArrayList<>());
                continue;
            }
            if (section == null) {
                throw new IllegalStateException("default-seccomp.txt: syscall names before the first [section]: " + text);
            }
            out.get(section).addAll(List.of(text.split("\\s+")));
        }
        return out;
    }

    /** The Go (OCI) name of the JVM's architecture: amd64 or arm64 (others are refused when the profile is built). */
    static String nodeArch() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
    }

    /** The seccomp architectures a profile for {@code arch} lists: the native one and its compat ones. */
    static List<String> architectures(String arch) {
        return switch (arch) {
            case "amd64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "arm64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            default -> throw new IllegalStateException("no RuntimeDefault seccomp profile for the architecture " + arch
                    + " (crisp knows amd64 and arm64)");
        };
    }

    /** The profile for a container holding {@code capabilities} (CAP_ names) on architecture {@code arch}. */
    ObjectNode profile(String arch, Collection<String> capabilities) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode p = f.objectNode();
        p.put("defaultAction", "SCMP_ACT_ERRNO");
        p.put("defaultErrnoRet", EPERM);
        ArrayNode arches = p.putArray("architectures");
        architectures(arch).forEach(arches::add);
        ArrayNode rules = p.putArray("syscalls");

        Set<String> allowed = new LinkedHashSet<>(sections.getOrDefault("all", List.of()));
        allowed.addAll(sections.getOrDefault("arch " + arch, List.of()));
        for (String cap : capabilities) {
            allowed.addAll(sections.getOrDefault("cap " + cap, List.of()));
        }
        boolean sysAdmin = capabilities.contains("CAP_SYS_ADMIN");
        ObjectNode allow = rules.addObject();
        ArrayNode names = allow.putArray("names");
        allowed.stream().sorted().forEach(names::add);
        allow.put("action", "SCMP_ACT_ALLOW");

        if (!sysAdmin) {
            ObjectNode clone = rules.addObject();
            clone.putArray("names").add("clone");
            clone.put("action", "SCMP_ACT_ALLOW");
            clone.putArray("args").addObject().put("index", 0).put("value", CLONE_NAMESPACE_FLAGS).put("valueTwo", 0)
                    .put("op", "SCMP_CMP_MASKED_EQ");
            ObjectNode clone3 = rules.addObject();
            clone3.putArray("names").add("clone3");
            clone3.put("action", "SCMP_ACT_ERRNO");
            clone3.put("errnoRet", ENOSYS);
        }
        for (long persona : PERSONAS) {
            ObjectNode r = rules.addObject();
            r.putArray("names").add("personality");
            r.put("action", "SCMP_ACT_ALLOW");
            r.putArray("args").addObject().put("index", 0).put("value", persona).put("valueTwo", 0).put("op", "SCMP_CMP_EQ");
        }
        ObjectNode socket = rules.addObject();
        socket.putArray("names").add("socket");
        socket.put("action", "SCMP_ACT_ALLOW");
        socket.putArray("args").addObject().put("index", 0).put("value", AF_VSOCK).put("valueTwo", 0).put("op", "SCMP_CMP_NE");
        return p;
    }
}
