package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.Capability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading an OCI runtime's {@code features} document (runtime-spec features.md, the shape runc 1.2
 * prints) into capabilities with reasons; RuncFeaturesTest runs the real runc.
 */
final class RuntimeFeaturesTest {
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    /** Trimmed from runc 1.2's output: rro among the mount options, id-mapped mounts enabled. */
    private static final String RUNC_12 = """
            {"ociVersionMin": "1.0.0", "ociVersionMax": "1.2.0",
             "hooks": ["prestart", "createRuntime", "poststop"],
             "mountOptions": ["bind", "rbind", "ro", "rro", "rw"],
             "linux": {"namespaces": ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
                       "cgroup": {"v1": true, "v2": true, "systemd": true},
                       "mountExtensions": {"idmap": {"enabled": true}}},
             "annotations": {"org.opencontainers.runc.version": "1.2.0"}}
            """;

    @TempDir
    Path dir;

    @Test
    void aRuntimeListingRroAndIdmapOnANewKernelHasBoth() {
        RuntimeFeatures f = RuntimeFeatures.read(RUNC, RUNC_12, "6.1.0-13-amd64");
        assertEquals(Set.of(Capability.RECURSIVE_READ_ONLY_MOUNTS, Capability.USER_NAMESPACES), f.capabilities());
        assertEquals(Map.of("recursive_read_only_mounts", "yes: 'runc features' lists rro and kernel 6.1.0-13-amd64 has mount_setattr",
                "user_namespaces", "yes: 'runc features' has linux.mountExtensions.idmap.enabled"), f.reasons());
    }

    @Test
    void eachMissingPieceSaysWhy() {
        RuntimeFeatures oldKernel = RuntimeFeatures.read(RUNC, RUNC_12, "5.10.0-26-amd64");
        assertEquals(Set.of(Capability.USER_NAMESPACES), oldKernel.capabilities());
        assertEquals("no: kernel 5.10.0-26-amd64 has no mount_setattr (needs 5.12)", oldKernel.reasons().get("recursive_read_only_mounts"));

        RuntimeFeatures noIdmap = RuntimeFeatures.read(RUNC, RUNC_12.replace("\"enabled\": true", "\"enabled\": false")
                .replace("\"rro\", ", ""), "6.1.0");
        assertEquals(Set.of(), noIdmap.capabilities());
        assertEquals("no: 'runc features' does not list rro in mountOptions", noIdmap.reasons().get("recursive_read_only_mounts"));
        assertEquals("no: 'runc features' has no linux.mountExtensions.idmap.enabled = true (id-mapped mounts)",
                noIdmap.reasons().get("user_namespaces"));

        RuntimeFeatures garbage = RuntimeFeatures.read(RUNC, "Usage: runc ...", "6.1.0");
        assertEquals(Set.of(), garbage.capabilities());
        assertEquals("no: 'runc features' printed no JSON document", garbage.reasons().get("user_namespaces"));
    }

    @Test
    void aRuntimeWithoutTheSubcommandHasNeither() throws Exception {
        Path old = dir.resolve("old-runtime");
        Files.writeString(old, "#!/bin/sh\necho \"No help topic for '$1'\" >&2\nexit 3\n");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwx------"));
        RuntimeFeatures f = RuntimeFeatures.probe(old);
        assertEquals(Set.of(), f.capabilities());
        assertEquals("no: 'old-runtime features' failed (exit 3): No help topic for 'features'", f.reasons().get("recursive_read_only_mounts"));

        Path fake = dir.resolve("new-runtime");
        Files.writeString(fake, "#!/bin/sh\n[ \"$1\" = features ] && cat <<'J'\n" + RUNC_12 + "J\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        RuntimeFeatures probed = RuntimeFeatures.probe(fake);
        assertTrue(probed.capabilities().contains(Capability.USER_NAMESPACES), probed.toString());
        assertEquals(RuntimeFeatures.atLeast(Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim(), 5, 12),
                probed.capabilities().contains(Capability.RECURSIVE_READ_ONLY_MOUNTS), probed.toString());
    }

    @Test
    void aFeaturesThatNeverExitsFailsAtItsDeadline() throws Exception {
        // Its output is read by another thread: reading it here first would wait for an EOF that
        // never comes (the child keeps the pipe open), and the daemon's start with it.
        Path stuck = dir.resolve("stuck-runtime");
        Files.writeString(stuck, "#!/bin/sh\necho '{'\nsleep 60 &\nwait\n");
        Files.setPosixFilePermissions(stuck, PosixFilePermissions.fromString("rwx------"));
        long t0 = System.nanoTime();
        RuntimeFeatures f = RuntimeFeatures.probe(stuck);
        long tookMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(Set.of(), f.capabilities());
        assertEquals("no: 'stuck-runtime features' did not finish in 5s", f.reasons().get("recursive_read_only_mounts"));
        assertTrue(tookMs < 9000, "took " + tookMs + " ms");
    }

    @Test
    void kernelReleases() {
        assertTrue(RuntimeFeatures.atLeast("5.12.0", 5, 12));
        assertTrue(RuntimeFeatures.atLeast("6.1.0-13-amd64", 5, 12));
        assertFalse(RuntimeFeatures.atLeast("5.11.22-foo", 5, 12));
        assertFalse(RuntimeFeatures.atLeast("4.19", 5, 12));
        assertFalse(RuntimeFeatures.atLeast("unknown", 5, 12));
    }

    @Test
    void anAdapterClaimsNeither() {
        RuntimeFeatures f = RuntimeFeatures.none("crisp-lxc-oci is an adapter that honours neither");
        assertEquals(Set.of(), f.capabilities());
        assertEquals("no: crisp-lxc-oci is an adapter that honours neither", f.reasons().get("user_namespaces"));
    }
}
