package io.crisp.spi.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

/**
 * What the backend contract suite needs from a plugin, and what it does around each test. The
 * suite checks what every {@link RuntimeBackend} must guarantee against the real thing: the backend
 * is driven in-process, exactly as the core drives it, with busybox bundles built here. A test
 * whose ability the backend does not declare in {@link #supportedCapabilities()} is skipped, nothing
 * else is: a missing prerequisite (root, a binary) skips the suite on a workstation and fails it
 * under CI=true. Each test gets a new directory, handler state and backend; afterwards everything
 * it made is removed through a new backend, then {@link #cleanUpLeftovers} runs.
 */
public abstract class BackendContractFixture {
    static final int SIGTERM = 15;
    static final int SIGKILL = 9;
    static final Duration LONG = Duration.ofSeconds(20);
    static final StdioWiring IN_OUT = new StdioWiring(true, true, false, false);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Each container's bundle, for the exec process the core would derive from its spec. */
    private final Map<String, Path> bundles = new HashMap<>();

    ContractHarness harness;
    RuntimeBackend backend;

    /** The plugin under test; the suite calls {@link RuntimePlugin#create} as the core does. */
    protected abstract RuntimePlugin plugin();

    /** The handler's options ({@code [runtimes.NAME]} keys); {@code dir} is the test's own directory. */
    protected Map<String, Object> options(Path dir) {
        return Map.of();
    }

    /** The capabilities the backend declares; the suite checks it declares exactly these. */
    protected abstract Set<Capability> supportedCapabilities();

    /** Binaries and files the backend needs on this host; the suite also needs root and /bin/busybox. */
    protected List<Path> prerequisites() {
        return List.of();
    }

    /** Builds the bundle of sandbox {@code id} in {@code dir}; a VM backend may need another one. */
    protected Path sandboxBundle(Path dir, String id) throws Exception {
        return BusyboxBundles.sandbox(dir, id);
    }

    /** Builds the bundle of container {@code id}, running {@code sh -c script}, in {@code dir}. */
    protected Path containerBundle(Path dir, String id, String sandboxId, OptionalLong infraPid, String script, boolean tty)
            throws Exception {
        return BusyboxBundles.container(dir, id, sandboxId, infraPid, script, tty);
    }

    /** Releases what the backend leaves on the host beyond its state directory (shims, runtime state) after a test. */
    protected void cleanUpLeftovers(Path dir) throws Exception {}

    @BeforeEach
    final void createBackend() throws Exception {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        List<Path> needed = new ArrayList<>(prerequisites());
        needed.add(BusyboxBundles.BUSYBOX);
        needed.stream().filter(p -> !Files.exists(p)).forEach(p -> missing.add(p.toString()));
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the backend contract suite needs " + missing);
            }
            assumeTrue(false, "backend contract suite skipped, missing " + missing);
        }
        Path dir = Files.createTempDirectory("crisp-contract-");
        harness = new ContractHarness(plugin(), options(dir), dir);
        backend = harness.newBackend();
    }

    @AfterEach
    final void removeEverything() throws Exception {
        if (harness != null) {
            harness.close();
            cleanUpLeftovers(harness.dir);
            ContractHarness.deleteTree(harness.dir);
        }
    }

    /** Backends remove each container's cgroup; the shared parent is the suite's to remove. */
    @AfterAll
    static void removeCgroupParent() {
        BusyboxBundles.removeCgroupParent();
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Skips the test when the backend does not declare {@code capability}, as the core would not call it. */
    protected final void requires(Capability capability) {
        assumeTrue(supportedCapabilities().contains(capability), () -> "backend does not declare " + capability);
    }

    SandboxState runSandbox(String id) throws Exception {
        Path bundle = sandboxBundle(harness.bundleDir(id), id);
        return backend.runSandbox(new SandboxSpec(id, new PodIdentity("contract", "default", "uid-" + id, 0), bundle,
                Optional.empty(), Optional.of(harness.dir.resolve("logs")), Map.of(), Map.of(), cgroupsPath(bundle)));
    }

    ContainerState createContainer(String id, SandboxState pod, String script) throws Exception {
        return createContainer(id, pod, script, false, false);
    }

    ContainerState createContainer(String id, SandboxState pod, String script, boolean stdin, boolean stdinOnce)
            throws Exception {
        return backend.createContainer(containerSpec(id, pod, bundle(id, pod, script), stdin, stdinOnce));
    }

    /** The bundle of container {@code id} in {@code pod}, running {@code sh -c script}. */
    Path bundle(String id, SandboxState pod, String script) throws Exception {
        return containerBundle(harness.bundleDir(id), id, pod.id(), pod.pid(), script, false);
    }

    ContainerSpec containerSpec(String id, SandboxState pod, Path bundle, boolean stdin, boolean stdinOnce) {
        bundles.put(id, bundle);
        return new ContainerSpec(id, pod.id(), "c-" + id, bundle, Optional.of(harness.log(id)), stdin, stdinOnce, false,
                Map.of(), cgroupsPath(bundle));
    }

    /** An ExecSync as the core asks it: with the exec's OCI process derived from the container's spec. */
    ExecSpec execSpec(String containerId, List<String> command, Duration timeout, boolean tty, int maxOutputBytes) {
        return new ExecSpec(containerId, command, timeout, tty, maxOutputBytes, processJson(containerId, command, tty));
    }

    /** A streaming exec as the core asks it (see {@link #execSpec}). */
    StreamExecSpec streamExecSpec(String containerId, List<String> command, StdioWiring stdio) {
        return new StreamExecSpec(containerId, command, stdio, processJson(containerId, command, stdio.tty()));
    }

    /** The {@code linux.cgroupsPath} of a bundle's config.json, which the core hands the backend beside it. */
    static String cgroupsPath(Path bundle) {
        try {
            return JSON.readTree(bundle.resolve("config.json").toFile()).path("linux").path("cgroupsPath").asText("");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What the core derives for an exec: the container's own {@code process} with {@code args} replaced,
     * {@code terminal} set and no {@code consoleSize}; "" for a container this fixture did not create
     * (the backend must then refuse the exec for its own reason, an unknown or stopped container).
     */
    private String processJson(String containerId, List<String> command, boolean tty) {
        Path bundle = bundles.get(containerId);
        if (bundle == null) {
            return "";
        }
        try {
            ObjectNode process = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile()).path("process").deepCopy();
            ArrayNode args = process.putArray("args");
            command.forEach(args::add);
            process.put("terminal", tty);
            process.remove("consoleSize");
            return JSON.writeValueAsString(process);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String running(SandboxState pod, String script) throws Exception {
        return running(pod, script, false, false);
    }

    String running(SandboxState pod, String script, boolean stdin, boolean stdinOnce) throws Exception {
        String id = harness.containerId();
        createContainer(id, pod, script, stdin, stdinOnce);
        backend.startContainer(id);
        return id;
    }

    static BackendException assertKind(Kind expected, Executable call) {
        BackendException e = assertThrows(BackendException.class, call);
        assertEquals(expected, e.kind(), e::getMessage);
        return e;
    }

    /** As {@link #assertKind}, and the message, which the user sees as is, names {@code id}. */
    static void assertKindNaming(Kind expected, String id, Executable call) {
        BackendException e = assertKind(expected, call);
        assertTrue(e.getMessage().contains(id), () -> "the message names " + id + ": " + e.getMessage());
    }
}
