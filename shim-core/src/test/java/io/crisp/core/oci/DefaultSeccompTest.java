package io.crisp.core.oci;

import static io.crisp.core.oci.OciSpecsSandboxTest.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The RuntimeDefault profile per architecture and capability set, from the shipped syscall lists. */
final class DefaultSeccompTest {
    private final DefaultSeccomp profiles = DefaultSeccomp.load();

    @Test
    void eachArchitectureGetsItsOwnCalls() {
        JsonNode amd64 = profiles.profile("amd64", Capabilities.DEFAULT);
        assertEquals(List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), texts(amd64.path("architectures")));
        List<String> x86 = texts(amd64.path("syscalls").get(0).path("names"));
        assertTrue(x86.contains("arch_prctl"), "amd64 needs arch_prctl");
        assertFalse(x86.contains("arm_fadvise64_64"));

        JsonNode arm64 = profiles.profile("arm64", Capabilities.DEFAULT);
        assertEquals(List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"), texts(arm64.path("architectures")));
        List<String> arm = texts(arm64.path("syscalls").get(0).path("names"));
        assertTrue(arm.contains("arm_fadvise64_64") && arm.contains("set_tls"), arm.toString());
        assertFalse(arm.contains("arch_prctl"));
        assertEquals(x86.size() - 2 + 6, arm.size(), "the common list plus each architecture's own");
        assertThrows(IllegalStateException.class, () -> profiles.profile("s390x", Capabilities.DEFAULT));
    }

    @Test
    void capabilitiesUnlockTheirCalls() {
        List<String> none = texts(profiles.profile("amd64", List.of()).path("syscalls").get(0).path("names"));
        assertFalse(none.contains("chroot") || none.contains("ptrace") || none.contains("acct"));
        List<String> some = texts(profiles.profile("amd64", List.of("CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
                "CAP_SYS_TIME", "CAP_SYS_MODULE", "CAP_SYSLOG")).path("syscalls").get(0).path("names"));
        assertTrue(some.containsAll(List.of("chroot", "ptrace", "kcmp", "acct", "settimeofday", "init_module", "syslog")),
                some.toString());
        assertFalse(some.contains("mount") || some.contains("keyctl"));
    }

    @Test
    void personalityAndSocketAreNarrowed() {
        JsonNode rules = profiles.profile("amd64", Capabilities.DEFAULT).path("syscalls");
        List<Long> personas = new java.util.ArrayList<>();
        String socketOp = "";
        for (JsonNode r : rules) {
            List<String> names = texts(r.path("names"));
            if (names.equals(List.of("personality"))) {
                personas.add(r.path("args").get(0).path("value").asLong());
            } else if (names.equals(List.of("socket"))) {
                socketOp = r.path("args").get(0).path("op").asText() + " " + r.path("args").get(0).path("value").asLong();
            }
        }
        assertEquals(List.of(0L, 8L, 0x20000L, 0x20008L, 0xffffffffL), personas);
        assertEquals("SCMP_CMP_NE 40", socketOp, "every socket family but AF_VSOCK");
    }
}
