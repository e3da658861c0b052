package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The core persists the settings records as JSON and reads them back after a restart. */
final class SettingsJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void podSettingsRoundTrip() throws Exception {
        PodSettings pod = Fixtures.pod(NamespaceMode.NODE, NamespaceMode.CONTAINER, NamespaceMode.POD, true);
        ResourceSettings r = new ResourceSettings(100000, 50000, 512, 1 << 30, -997, "0-1", "0", Map.of("2MB", 1024L),
                Map.of("memory.high", "1000"), 2 << 30);
        pod = new PodSettings(pod.name(), pod.namespace(), pod.uid(), pod.attempt(), pod.hostname(), pod.logDirectory(),
                pod.dns(), pod.labels(), pod.annotations(), "/kubepods/pod1", pod.sysctls(), pod.networkMode(), pod.pidMode(),
                pod.ipcMode(), 1000, 2000, true, List.of(1L, 2L), true,
                new SecurityProfile(SecurityProfile.Kind.LOCALHOST, "/p.json", "config.linux.security_context.seccomp"),
                pod.apparmor(), r, ResourceSettings.NONE);
        String text = JSON.writeValueAsString(pod);
        assertEquals(pod, JSON.readValue(text, PodSettings.class));
    }

    @Test
    void containerSettingsRoundTrip() throws Exception {
        ContainerSecurity security = new ContainerSecurity(List.of("CAP_SYS_ADMIN"), List.of("ALL"), List.of("CAP_NET_RAW"),
                false, 1000, -1, "", true, List.of(5L), true, List.of("/proc/x"), List.of("/proc/y"), Fixtures.RUNTIME_DEFAULT,
                SecurityProfile.UNCONFINED);
        ContainerSettings c = Fixtures.container(security,
                List.of(new MountSettings("/data", "/var/lib/data", true, "rslave")), NamespaceMode.TARGET);
        ContainerSettings withDevices = new ContainerSettings(c.name(), c.attempt(), c.image(), List.of("sh"), List.of("-c"),
                "/w", c.envs(), c.mounts(), List.of(new DeviceSettings("/dev/fuse", "/dev/fuse", "rw")), c.labels(),
                c.annotations(), c.logPath(), true, true, true, "SIGQUIT", c.pidMode(), c.pidTargetId(),
                new ResourceSettings(0, 0, 2, 0, 0, "", "", Map.of(), Map.of(), 0), c.security());
        String text = JSON.writeValueAsString(withDevices);
        ContainerSettings back = JSON.readValue(text, ContainerSettings.class);
        assertEquals(withDevices, back);
        assertEquals("other", back.pidTargetId());
    }

    @Test
    void missingFieldsReadAsDefaults() throws Exception {
        ContainerSettings c = JSON.readValue("{\"name\":\"x\",\"attempt\":2}", ContainerSettings.class);
        assertEquals(NamespaceMode.POD, c.pidMode());
        assertEquals("", c.pidTargetId());
        assertEquals(ContainerSecurity.DEFAULT, c.security());
        assertEquals(ResourceSettings.NONE, c.resources());
        assertEquals(List.of(), c.mounts());
    }
}
