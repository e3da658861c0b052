package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.oci.PodSettings;
import io.crisp.core.oci.SecurityProfile;
import io.crisp.cri.v1.DNSConfig;
import io.crisp.cri.v1.Int64Value;
import io.crisp.cri.v1.LinuxContainerResources;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.UserNamespace;
import io.crisp.spi.BackendException;
import java.util.List;
import org.junit.jupiter.api.Test;

final class PodSettingsFromCriTest {
    static PodSandboxConfig.Builder config() {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("default").setUid("u1").setAttempt(2))
                .setHostname("web-0").setLogDirectory("/var/log/pods/x")
                .setDnsConfig(DNSConfig.newBuilder().addServers("10.0.0.10").addSearches("svc").addOptions("ndots:5"))
                .putLabels("app", "web").putAnnotations("note", "n");
    }

    private static void refused(PodSandboxConfig.Builder config, String field) {
        BackendException e = assertThrows(BackendException.class, () -> PodSettingsFromCri.from(config.build()));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith(field + ":"), () -> "want " + field + ", got " + e.getMessage());
    }

    @Test
    void everyField() {
        LinuxSandboxSecurityContext sc = LinuxSandboxSecurityContext.newBuilder()
                .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(io.crisp.cri.v1.NamespaceMode.NODE)
                        .setPid(io.crisp.cri.v1.NamespaceMode.CONTAINER).setIpc(io.crisp.cri.v1.NamespaceMode.POD))
                .setRunAsUser(Int64Value.newBuilder().setValue(1000)).setRunAsGroup(Int64Value.newBuilder().setValue(3000))
                .setReadonlyRootfs(true).addSupplementalGroups(5).setPrivileged(true).setSeccompProfilePath("runtime/default")
                .build();
        PodSettings pod = PodSettingsFromCri.from(config().setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent("/kp")
                .putSysctls("kernel.shmmax", "1").setSecurityContext(sc)
                .setResources(LinuxContainerResources.newBuilder().setCpuShares(2))).build());
        assertEquals(List.of("web", "default", "u1", 2, "web-0", "/var/log/pods/x"),
                List.of(pod.name(), pod.namespace(), pod.uid(), pod.attempt(), pod.hostname(), pod.logDirectory()));
        assertEquals(List.of("10.0.0.10"), pod.dns().servers());
        assertEquals(List.of("svc"), pod.dns().searches());
        assertEquals(List.of("ndots:5"), pod.dns().options());
        assertEquals("/kp", pod.cgroupParent());
        assertEquals("1", pod.sysctls().get("kernel.shmmax"));
        assertEquals(List.of(NamespaceMode.NODE, NamespaceMode.CONTAINER, NamespaceMode.POD),
                List.of(pod.networkMode(), pod.pidMode(), pod.ipcMode()));
        assertEquals(1000, pod.runAsUser());
        assertEquals(3000, pod.runAsGroup());
        assertTrue(pod.readonlyRootfs() && pod.privileged());
        assertEquals(List.of(5L), pod.supplementalGroups());
        assertEquals(SecurityProfile.Kind.RUNTIME_DEFAULT, pod.seccomp().kind());
        assertEquals(2, pod.resources().cpuShares());
        assertEquals("web", pod.labels().get("app"));
        assertEquals("n", pod.annotations().get("note"));
    }

    @Test
    void defaults() {
        PodSettings pod = PodSettingsFromCri.from(config().build());
        assertEquals(-1, pod.runAsUser());
        assertEquals(-1, pod.runAsGroup());
        assertEquals(NamespaceMode.POD, pod.networkMode());
        assertEquals(SecurityProfile.Kind.UNCONFINED, pod.seccomp().kind());
        assertEquals("", pod.cgroupParent());
    }

    @Test
    void refusals() {
        refused(config().clearMetadata(), "config.metadata");
        refused(config().setMetadata(PodSandboxMetadata.newBuilder().setNamespace("n").setUid("u")), "config.metadata.name");
        String ns = "config.linux.security_context.namespace_options";
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext
                .newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setNetwork(io.crisp.cri.v1.NamespaceMode.CONTAINER)))), ns + ".network");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext
                .newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setPid(io.crisp.cri.v1.NamespaceMode.TARGET)))), ns + ".pid");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext
                .newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setUsernsOptions(UserNamespace.newBuilder().setMode(io.crisp.cri.v1.NamespaceMode.POD))))),
                ns + ".userns_options.mode");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("net.ipv4.ip_forward", "1")
                .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                        .setNetwork(io.crisp.cri.v1.NamespaceMode.NODE)))), "config.linux.sysctls[net.ipv4.ip_forward]");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().putSysctls("../x", "1")), "config.linux.sysctls[../x]");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext
                .newBuilder().setRunAsUser(Int64Value.newBuilder().setValue(-3)))), "config.linux.security_context.run_as_user");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext
                .newBuilder().setSeccompProfilePath("bogus"))), "config.linux.security_context.seccomp_profile_path");
        refused(config().setLinux(LinuxPodSandboxConfig.newBuilder().setOverhead(LinuxContainerResources.newBuilder()
                .setMemoryLimitInBytes(-1))), "config.linux.overhead.memory_limit_in_bytes");
    }

    @Test
    void aPodWithoutHostnameGetsTheNodes() {
        PodSandboxConfig noHostname = config().clearHostname()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("a".repeat(100)).setNamespace("n").setUid("u")).build();
        assertEquals("node-7.example", PodSettingsFromCri.from(noHostname, () -> "node-7.example").hostname());
        assertEquals("web-0", PodSettingsFromCri.from(config().build(), () -> "node-7").hostname());
        String node = PodSettingsFromCri.from(noHostname).hostname();
        assertTrue(!node.isEmpty() && node.length() <= PodSettingsFromCri.HOSTNAME_MAX, node);
    }

    @Test
    void aHostnameSethostnameWouldRefuseIsInvalid() {
        refused(config().setHostname("h".repeat(65)), "config.hostname");
        refused(config().setHostname("under_score"), "config.hostname");
        refused(config().setHostname("-lead"), "config.hostname");
        refused(config().setHostname("a..b"), "config.hostname");
        refused(config().setHostname("sp ace"), "config.hostname");
        assertEquals("x".repeat(62) + ".y", PodSettingsFromCri.from(config().setHostname("x".repeat(62) + ".y").build())
                .hostname());
        assertEquals("Node-1.Local", PodSettingsFromCri.from(config().setHostname("Node-1.Local").build()).hostname());
    }
}
