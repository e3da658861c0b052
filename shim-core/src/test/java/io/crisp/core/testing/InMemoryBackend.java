package io.crisp.core.testing;

import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A backend that runs nothing: sandboxes and containers are entries in maps, with the states the
 * SPI promises (idempotent stop and remove, NOT_FOUND for unknown ids). {@link #failNext} makes one
 * operation fail once, for the core's rollback paths. For tests of the core only; what a real
 * backend must do is the contract suite's (plugins/api, BaseBackendContractTest).
 */
public final class InMemoryBackend implements RuntimeBackend {
    private final Map<String, SandboxState> sandboxes = new ConcurrentHashMap<>();
    private final Map<String, ContainerState> containers = new ConcurrentHashMap<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Map<String, java.util.concurrent.CountDownLatch[]> holds = new ConcurrentHashMap<>();
    private final java.util.List<String> calls = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final Set<Capability> capabilities;

    /** With the pod lifecycle, its network wired while it starts (as runc's). */
    public InMemoryBackend() {
        this(EnumSet.of(Capability.POD_LIFECYCLE, Capability.LATE_POD_NETWORK));
    }

    public InMemoryBackend(Set<Capability> capabilities) {
        this.capabilities = Set.copyOf(capabilities);
    }

    /**
     * The next call of {@code operation} ("runSandbox", "stopSandbox", "createContainer", "removeSandbox") counts {@code reached} down
     * once it is in the backend, then waits for {@code release} before it does its work.
     */
    public void holdNext(String operation, java.util.concurrent.CountDownLatch reached, java.util.concurrent.CountDownLatch release) {
        holds.put(operation, new java.util.concurrent.CountDownLatch[] {reached, release});
    }

    /** Every call so far, in order, as "operation id" (a held call also as "operation id returns" when it does). */
    public java.util.List<String> calls() {
        synchronized (calls) {
            return java.util.List.copyOf(calls);
        }
    }

    private void maybeHold(String operation, String id) {
        java.util.concurrent.CountDownLatch[] hold = holds.remove(operation);
        if (hold == null) {
            return;
        }
        hold[0].countDown();
        try {
            if (!hold[1].await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new BackendException(BackendException.Kind.INTERNAL, operation + " of " + id + " was held for 30s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(BackendException.Kind.INTERNAL, operation + " of " + id + " was interrupted");
        }
    }

    /**
     * The next call of {@code operation} ("runSandbox", "stopSandbox", "createContainer", "startContainer") fails with INTERNAL;
     * "startContainerExited": the next start fails leaving the container exited (128, StartError), as a create
     * deferred to the start does.
     */
    public void failNext(String operation) {
        failing.add(operation);
    }

    public Set<String> sandboxIds() {
        return Set.copyOf(sandboxes.keySet());
    }

    public Set<String> containerIds() {
        return Set.copyOf(containers.keySet());
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public SandboxState runSandbox(SandboxSpec spec) {
        calls.add("runSandbox " + spec.id());
        maybeHold("runSandbox", spec.id());
        maybeFail("runSandbox", spec.id());
        SandboxState ready = new SandboxState(spec.id(), true, OptionalLong.of(4242));
        if (sandboxes.putIfAbsent(spec.id(), ready) != null) {
            throw new BackendException(BackendException.Kind.ALREADY_EXISTS, "sandbox " + spec.id() + " exists");
        }
        calls.add("runSandbox " + spec.id() + " returns");
        return ready;
    }

    @Override
    public SandboxState sandboxState(String sandboxId) {
        return Optional.ofNullable(sandboxes.get(sandboxId))
                .orElseThrow(() -> BackendException.notFound("sandbox %s not found", sandboxId));
    }

    @Override
    public void stopSandbox(String sandboxId, Duration timeout) {
        calls.add("stopSandbox " + sandboxId);
        maybeHold("stopSandbox", sandboxId);
        maybeFail("stopSandbox", sandboxId);
        sandboxes.computeIfPresent(sandboxId, (id, s) -> new SandboxState(id, false, OptionalLong.empty()));
    }

    @Override
    public void removeSandbox(String sandboxId) {
        calls.add("removeSandbox " + sandboxId);
        maybeHold("removeSandbox", sandboxId);
        sandboxes.remove(sandboxId);
    }

    @Override
    public ContainerState createContainer(ContainerSpec spec) {
        calls.add("createContainer " + spec.id());
        maybeHold("createContainer", spec.id());
        maybeFail("createContainer", spec.id());
        ContainerState created = new ContainerState(spec.id(), Phase.CREATED, OptionalLong.empty(), Optional.empty(), Optional.empty());
        if (containers.putIfAbsent(spec.id(), created) != null) {
            throw new BackendException(BackendException.Kind.ALREADY_EXISTS, "container " + spec.id() + " exists");
        }
        calls.add("createContainer " + spec.id() + " returns");
        return created;
    }

    @Override
    public ContainerState startContainer(String containerId) {
        ContainerState c = containerState(containerId);
        if (failing.remove("startContainerExited")) {
            containers.put(containerId, new ContainerState(containerId, Phase.EXITED, OptionalLong.empty(), Optional.empty(),
                    Optional.of(new ExitStatus(128, Instant.now(), Optional.of("StartError")))));
            throw new BackendException(BackendException.Kind.INTERNAL, "start of " + containerId + " failed (as the test asked)");
        }
        maybeFail("startContainer", containerId);
        ContainerState running = new ContainerState(c.id(), Phase.RUNNING, OptionalLong.of(4343), Optional.of(Instant.now()),
                Optional.empty());
        containers.put(containerId, running);
        return running;
    }

    @Override
    public void stopContainer(String containerId, int signal, Duration timeout) {
        containers.computeIfPresent(containerId, (id, c) -> c.phase() == Phase.EXITED ? c
                : new ContainerState(id, Phase.EXITED, OptionalLong.empty(), c.startedAt(),
                        Optional.of(new ExitStatus(128 + 9, Instant.now(), Optional.empty()))));
    }

    @Override
    public void removeContainer(String containerId) {
        calls.add("removeContainer " + containerId);
        containers.remove(containerId);
    }

    @Override
    public ContainerState containerState(String containerId) {
        return Optional.ofNullable(containers.get(containerId))
                .orElseThrow(() -> BackendException.notFound("container %s not found", containerId));
    }

    @Override
    public void close() {}

    private void maybeFail(String operation, String id) {
        if (failing.remove(operation)) {
            throw new BackendException(BackendException.Kind.INTERNAL, operation + " of " + id + " failed (as the test asked)");
        }
    }
}
