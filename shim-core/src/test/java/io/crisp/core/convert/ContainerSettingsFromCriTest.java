package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.oci.DeviceSettings;
import io.crisp.core.oci.EnvVar;
import io.crisp.core.oci.MountSettings;
import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.core.oci.SecurityProfile;
import io.crisp.cri.v1.CDIDevice;
import io.crisp.cri.v1.Capability;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.Device;
import io.crisp.cri.v1.HugepageLimit;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.Int64Value;
import io.crisp.cri.v1.KeyValue;
import io.crisp.cri.v1.LinuxContainerConfig;
import io.crisp.cri.v1.LinuxContainerResources;
import io.crisp.cri.v1.LinuxContainerSecurityContext;
import io.crisp.cri.v1.Mount;
import io.crisp.cri.v1.MountPropagation;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.Signal;
import io.crisp.spi.BackendException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class ContainerSettingsFromCriTest {
    private static final String SC = "config.linux.security_context";

    private static ContainerConfig.Builder config() {
        return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("app").setAttempt(1))
                .setImage(ImageSpec.newBuilder().setImage("nginx:1"));
    }

    private static ContainerConfig.Builder withSecurity(LinuxContainerSecurityContext.Builder sc) {
        return config().setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(sc));
    }

    private static void refused(ContainerConfig.Builder config, String field) {
        BackendException e = assertThrows(BackendException.class, () -> ContainerSettingsFromCri.from(config.build()));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith(field + ":"), () -> "want " + field + ", got " + e.getMessage());
    }

    @Test
    void everyField() {
        ContainerConfig config = config().addCommand("sh").addArgs("-c").addArgs("true").setWorkingDir("/w")
                .addEnvs(KeyValue.newBuilder().setKey("A").setValue("1"))
                .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("/srv/data").setReadonly(true)
                        .setPropagation(MountPropagation.PROPAGATION_HOST_TO_CONTAINER))
                .addMounts(Mount.newBuilder().setContainerPath("/b").setHostPath("/srv/b")
                        .setPropagation(MountPropagation.PROPAGATION_BIDIRECTIONAL))
                .addDevices(Device.newBuilder().setContainerPath("/dev/fuse").setHostPath("/dev/fuse").setPermissions("rw"))
                .putLabels("l", "v").putAnnotations("a", "b").setLogPath("app/1.log").setStdin(true).setStdinOnce(true)
                .setTty(true).setStopSignal(Signal.SIGRTMINPLUS1)
                .setLinux(LinuxContainerConfig.newBuilder()
                        .setResources(LinuxContainerResources.newBuilder().setCpuShares(512).setCpuQuota(-1)
                                .setMemoryLimitInBytes(100).setOomScoreAdj(-997).setCpusetCpus("0-1,3")
                                .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2MB").setLimit(8))
                                .putUnified("memory.high", "90"))
                        .setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                                .setCapabilities(Capability.newBuilder().addAddCapabilities("sys_admin")
                                        .addDropCapabilities("ALL").addAddAmbientCapabilities("CAP_NET_BIND_SERVICE"))
                                .setNamespaceOptions(NamespaceOption.newBuilder().setPid(io.crisp.cri.v1.NamespaceMode.TARGET)
                                        .setTargetId("other"))
                                .setRunAsUser(Int64Value.newBuilder().setValue(1000)).setReadonlyRootfs(true)
                                .addSupplementalGroups(7).setNoNewPrivs(true).addMaskedPaths("/proc/x")
                                .addReadonlyPaths("/proc/y").setSeccompProfilePath("localhost//etc/p.json")
                                .setApparmorProfile("localhost/prof")))
                .build();
        ContainerSettings c = ContainerSettingsFromCri.from(config);
        assertEquals("app", c.name());
        assertEquals(1, c.attempt());
        assertEquals("nginx:1", c.image());
        assertEquals(List.of("sh"), c.command());
        assertEquals(List.of("-c", "true"), c.args());
        assertEquals("/w", c.workingDir());
        assertEquals(List.of(new EnvVar("A", "1")), c.envs());
        assertEquals(List.of(new MountSettings("/data", "/srv/data", true, "rslave"),
                new MountSettings("/b", "/srv/b", false, "rshared")), c.mounts());
        assertEquals(List.of(new DeviceSettings("/dev/fuse", "/dev/fuse", "rw")), c.devices());
        assertEquals(Map.of("l", "v"), c.labels());
        assertEquals(Map.of("a", "b"), c.annotations());
        assertEquals("app/1.log", c.logPath());
        assertTrue(c.stdin() && c.stdinOnce() && c.tty());
        assertEquals("SIGRTMINPLUS1", c.stopSignal());
        assertEquals(35, io.crisp.core.oci.Signals.number(c.stopSignal()));
        assertEquals(NamespaceMode.TARGET, c.pidMode());
        assertEquals("other", c.pidTargetId());
        ResourceSettings r = c.resources();
        assertEquals(List.of(512L, -1L, 100L, -997L), List.of(r.cpuShares(), r.cpuQuota(), r.memoryLimitInBytes(),
                r.oomScoreAdj()));
        assertEquals("0-1,3", r.cpusetCpus());
        assertEquals(Map.of("2MB", 8L), r.hugepageLimits());
        assertEquals(Map.of("memory.high", "90"), r.unified());
        var s = c.security();
        assertEquals(List.of("CAP_SYS_ADMIN"), s.addCapabilities());
        assertEquals(List.of("ALL"), s.dropCapabilities());
        assertEquals(List.of("CAP_NET_BIND_SERVICE"), s.addAmbientCapabilities());
        assertEquals(1000, s.runAsUser());
        assertEquals(-1, s.runAsGroup());
        assertTrue(s.readonlyRootfs() && s.noNewPrivs());
        assertEquals(List.of(7L), s.supplementalGroups());
        assertEquals(List.of("/proc/x"), s.maskedPaths());
        assertEquals(List.of("/proc/y"), s.readonlyPaths());
        assertEquals(new SecurityProfile(SecurityProfile.Kind.LOCALHOST, "/etc/p.json", SC + ".seccomp_profile_path"),
                s.seccomp());
        assertEquals(new SecurityProfile(SecurityProfile.Kind.LOCALHOST, "prof", SC + ".apparmor_profile"), s.apparmor());
    }

    @Test
    void supplementalGroupsPolicy() {
        assertFalse(ContainerSettingsFromCri.from(config().build()).security().strictSupplementalGroups(), "Merge by default");
        assertTrue(ContainerSettingsFromCri.from(withSecurity(LinuxContainerSecurityContext.newBuilder()
                .setSupplementalGroupsPolicy(io.crisp.cri.v1.SupplementalGroupsPolicy.Strict)).build()).security().strictSupplementalGroups());
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setSupplementalGroupsPolicyValue(7)),
                SC + ".supplemental_groups_policy");
    }

    @Test
    void defaultsAndProfileMessages() {
        ContainerSettings c = ContainerSettingsFromCri.from(config().build());
        assertEquals("", c.stopSignal());
        assertEquals(NamespaceMode.POD, c.pidMode());
        assertEquals("", c.pidTargetId());
        assertEquals(SecurityProfile.Kind.UNCONFINED, c.security().seccomp().kind());
        assertEquals(SecurityProfile.Kind.RUNTIME_DEFAULT, c.security().apparmor().kind());
        assertEquals(-1, c.security().runAsUser());
        var sc = LinuxContainerSecurityContext.newBuilder()
                .setSeccomp(io.crisp.cri.v1.SecurityProfile.newBuilder()
                        .setProfileType(io.crisp.cri.v1.SecurityProfile.ProfileType.Localhost).setLocalhostRef("/p.json"))
                .setSeccompProfilePath("unconfined")
                .setApparmor(io.crisp.cri.v1.SecurityProfile.newBuilder()
                        .setProfileType(io.crisp.cri.v1.SecurityProfile.ProfileType.Unconfined));
        c = ContainerSettingsFromCri.from(withSecurity(sc).build());
        assertEquals(new SecurityProfile(SecurityProfile.Kind.LOCALHOST, "/p.json", SC + ".seccomp.localhost_ref"),
                c.security().seccomp());
        assertEquals(SecurityProfile.Kind.UNCONFINED, c.security().apparmor().kind());
        c = ContainerSettingsFromCri.from(withSecurity(LinuxContainerSecurityContext.newBuilder()
                .setSeccompProfilePath("docker/default")).build());
        assertEquals(SecurityProfile.Kind.RUNTIME_DEFAULT, c.security().seccomp().kind());
    }

    @Test
    void refusals() {
        refused(config().clearMetadata(), "config.metadata.name");
        refused(config().clearImage(), "config.image.image");
        refused(config().setImage(ImageSpec.newBuilder()), "config.image.image");
        refused(config().setWorkingDir("w"), "config.working_dir");
        refused(config().addEnvs(KeyValue.newBuilder().setValue("x")), "config.envs[0].key");
        refused(config().addMounts(Mount.newBuilder().setContainerPath("data").setHostPath("/x")),
                "config.mounts[0].container_path");
        refused(config().addMounts(Mount.newBuilder().setContainerPath("/a").setHostPath("/x"))
                .addMounts(Mount.newBuilder().setContainerPath("/data").setHostPath("")), "config.mounts[1].host_path");
        refused(config().addMounts(Mount.newBuilder().setContainerPath("/a").setHostPath("/x").setImage(
                ImageSpec.newBuilder().setImage("busybox"))), "config.mounts[0].image");
        refused(config().addDevices(Device.newBuilder().setContainerPath("/dev/x").setHostPath("/dev/null")
                .setPermissions("rwx")), "config.devices[0].permissions");
        refused(config().addDevices(Device.newBuilder().setContainerPath("x").setHostPath("/dev/null")),
                "config.devices[0].container_path");
        refused(config().addCDIDevices(CDIDevice.newBuilder().setName("vendor.com/gpu=0")).addCDIDevices(CDIDevice.newBuilder()),
                "config.CDI_devices[1].name");
        assertEquals(List.of("vendor.com/gpu=0"), ContainerSettingsFromCri.from(config().addCDIDevices(CDIDevice.newBuilder()
                .setName("vendor.com/gpu=0")).build()).cdiDevices());
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setCapabilities(Capability.newBuilder()
                .addAddCapabilities("CAP_CHOWN").addAddCapabilities("CAP_FLY"))), SC + ".capabilities.add_capabilities[1]");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setCapabilities(Capability.newBuilder()
                .addDropCapabilities("nope"))), SC + ".capabilities.drop_capabilities[0]");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setNamespaceOptions(NamespaceOption.newBuilder()
                .setPid(io.crisp.cri.v1.NamespaceMode.TARGET))), SC + ".namespace_options.target_id");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().addMaskedPaths("proc")), SC + ".masked_paths[0]");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setSeccompProfilePath("localhost/rel.json")),
                SC + ".seccomp_profile_path");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setSeccomp(io.crisp.cri.v1.SecurityProfile
                .newBuilder().setProfileType(io.crisp.cri.v1.SecurityProfile.ProfileType.Localhost))),
                SC + ".seccomp.localhost_ref");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setApparmorProfile("whatever")),
                SC + ".apparmor_profile");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setRunAsUser(Int64Value.newBuilder().setValue(1))
                .setRunAsUsername("app")), SC + ".run_as_username");
        refused(withSecurity(LinuxContainerSecurityContext.newBuilder().setRunAsGroup(Int64Value.newBuilder().setValue(3))),
                SC + ".run_as_group");
        refused(config().setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                .setCpusetCpus("0-a"))), "config.linux.resources.cpuset_cpus");
        refused(config().setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                .setOomScoreAdj(1001))), "config.linux.resources.oom_score_adj");
        refused(config().setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                .addHugepageLimits(HugepageLimit.newBuilder().setPageSize("2M")))),
                "config.linux.resources.hugepage_limits[0].page_size");
    }

    @Test
    void updateResourcesNameTheLinuxField() {
        BackendException e = assertThrows(BackendException.class, () -> ContainerSettingsFromCri.resources(
                LinuxContainerResources.newBuilder().setCpuShares(-2).build()));
        assertTrue(e.getMessage().startsWith("linux.cpu_shares:"), e.getMessage());
        assertEquals(ResourceSettings.NONE, ContainerSettingsFromCri.resources(LinuxContainerResources.getDefaultInstance()));
    }
}
