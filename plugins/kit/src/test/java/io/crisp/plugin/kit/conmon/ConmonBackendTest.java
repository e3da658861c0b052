package io.crisp.plugin.kit.conmon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

final class ConmonBackendTest {
    @TempDir
    Path stateDir;

    @Test
    void missingRuntimeMakesHandlerUnhealthyNamingThePath() {
        ConmonBackend backend = backend(new OciCliConfig(Path.of("/nonexistent/runc"), Path.of("/run/x"), Path.of("/bin/sh")));
        BackendHealth health = backend.health();
        assertFalse(health.ready());
        assertEquals("RuntimeBinaryMissing", health.reason());
        assertTrue(health.message().contains("/nonexistent/runc"), health.message());
        assertTrue(io.crisp.plugin.kit.node.BinaryProbe.probe(Path.of("/nonexistent/runc"), "--version").startsWith("unavailable"));
    }

    @Test
    void presentBinariesAreHealthyAndVersionIsProbed() {
        // /bin/sh stands in for both binaries: the check is "present and executable".
        ConmonBackend backend = backend(new OciCliConfig(Path.of("/bin/sh"), Path.of("/run/x"), Path.of("/bin/sh")));
        assertTrue(backend.health().ready());
        assertFalse(io.crisp.plugin.kit.node.BinaryProbe.probe(Path.of("/bin/sh"), "--version").isEmpty());
        assertTrue(backend.describe().containsKey("runtime_version"));
    }

    @Test
    void advertisesTheLifecycleAndStreamingCapabilities() {
        ConmonBackend backend = backend(new OciCliConfig(Path.of("/usr/sbin/runc"), Path.of("/run/x"), Path.of("/usr/bin/conmon")));
        Set<Capability> expected = EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS);
        // Plus what runc's features document proves (RuntimeFeaturesTest covers the reading).
        expected.addAll(RuntimeFeatures.probe(Path.of("/usr/sbin/runc")).capabilities());
        assertEquals(expected, backend.capabilities());
        BackendException e = assertThrows(BackendException.class, () -> backend.containerState("abc"));
        assertEquals(BackendException.Kind.NOT_FOUND, e.kind());
        backend.stopContainer("abc", 15, Duration.ZERO);
    }

    @Test
    void hooksChooseCapabilitiesRequiredBinariesAndDescribeEntries() {
        ConmonHooks hooks = new ConmonHooks() {
            @Override
            public Set<Capability> capabilities() {
                return EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC);
            }

            @Override
            public Map<Path, String> requiredBinaries() {
                return Map.of(Path.of("/nonexistent/lxc-start"), "lxc-start (package lxc)");
            }

            @Override
            public Map<String, String> describe() {
                return Map.of("adapter", "test", "runtime_path", "not overridden");
            }
        };
        try (ConmonBackend backend = backend(new OciCliConfig(Path.of("/bin/sh"), Path.of("/run/x"), Path.of("/bin/sh")), hooks)) {
            assertEquals(EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC), backend.capabilities());
            BackendHealth health = backend.health();
            assertEquals("AdapterBinaryMissing", health.reason());
            assertTrue(health.message().contains("lxc-start (package lxc) (/nonexistent/lxc-start)"), health.message());
            assertEquals("test", backend.describe().get("adapter"));
            assertEquals("/bin/sh", backend.describe().get("runtime_path"));
        }
    }

    /**
     * A prepare hook that refuses: the caller gets its error, the backend keeps nothing and the
     * remove hook runs. The adapter is a script answering delete the way the protocol says.
     */
    @Test
    void aRefusingPrepareHookLeavesNothingBehind() throws IOException {
        Path adapter = stateDir.resolve("adapter");
        Path calls = stateDir.resolve("calls");
        Files.writeString(adapter, "#!/bin/sh\necho \"$*\" >> " + calls + "\nfor last; do :; done\n"
                + "echo \"container $last does not exist\" >&2\nexit 1\n");
        Files.setPosixFilePermissions(adapter, PosixFilePermissions.fromString("rwx------"));
        Path bundle = Files.createDirectories(stateDir.resolve("bundle"));
        List<String> removed = new ArrayList<>();
        ConmonHooks hooks = new ConmonHooks() {
            @Override
            public void prepareSandbox(SandboxSpec spec, Path dir) {
                throw BackendException.invalidArgument("sandbox %s: the adapter cannot run %s", spec.id(), dir);
            }

            @Override
            public void removed(String id, boolean sandbox, Path dir) {
                removed.add(id + " " + sandbox + " " + dir);
            }
        };
        Path handlerState = stateDir.resolve("state");
        try (ConmonBackend backend = new ConmonBackend(new OciCliConfig(adapter, stateDir.resolve("root"), Path.of("/bin/sh")),
                handlerState, context(), hooks)) {
            SandboxSpec spec = new SandboxSpec("sb1", new PodIdentity("p", "default", "uid", 0), bundle, Optional.empty(),
                    Optional.empty(), Map.of(), Map.of(), "");
            BackendException e = assertThrows(BackendException.class, () -> backend.runSandbox(spec));
            assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
            assertEquals("sandbox sb1: the adapter cannot run " + bundle, e.getMessage());
            assertEquals(List.of("sb1 true " + bundle), removed);
            // The version probe runs at any time; besides it, the feature probe at creation and the cleanup's delete.
            assertEquals(List.of("features", "--root " + stateDir.resolve("root") + " delete --force sb1"),
                    Files.readAllLines(calls).stream().filter(l -> !l.equals("--version")).toList());
            assertEquals(BackendException.Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState("sb1")).kind());
            try (var left = Files.list(handlerState.resolve("objects"))) {
                assertEquals(List.of(handlerState.resolve("objects/.trash")), left.toList());
            }
            assertEquals(List.of(), emptiedTrash(handlerState.resolve("objects/.trash")), "what the trash still holds");
        }
    }

    /** What {@code trash} holds once its thread deleted it, or after 60 s (the machine may be busy). */
    private static List<Path> emptiedTrash(Path trash) throws IOException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (var held = Files.list(trash)) {
                List<Path> left = held.toList();
                if (left.isEmpty() || System.nanoTime() > deadline) {
                    return left;
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private ConmonBackend backend(OciCliConfig config) {
        return backend(config, ConmonHooks.NONE);
    }

    private ConmonBackend backend(OciCliConfig config, ConmonHooks hooks) {
        return new ConmonBackend(config, stateDir, context(), hooks);
    }

    private static RuntimeContext context() {
        return new RuntimeContext() {
            @Override
            public String spiVersion() {
                return "1.0.0";
            }

            @Override
            public String handlerName() {
                return "runc";
            }

            @Override
            public ContainerEventSink events() {
                return ContainerEventSink.discarding();
            }
        };
    }
}
