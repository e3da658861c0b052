package io.crisp.client.cli;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.Container;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerFilter;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.ContainerStateValue;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.ContainerStatusResponse;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.KeyValue;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StopContainerRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code crisp containers}: containers of the running daemon through its CRI socket, as
 * {@code crictl create}, {@code start}, {@code ps}, {@code inspect}, {@code logs}, {@code exec -s},
 * {@code stop} and {@code rm} would use them, with the container given by flags instead of a JSON file.
 */
@Command(name = "containers", versionProvider = ClientVersion.class, mixinStandardHelpOptions = true,
        description = {"Create, start, list, inspect, read the logs of, exec in, stop or remove containers in the running daemon.",
            "  run POD_ID --name N --image I [-- CMD ARGS...]     create and start a container (prints its id)",
            "  create POD_ID --name N --image I [-- CMD ARGS...]  create it only; start ID starts it",
            "  start ID...            start created containers",
            "  ls [--all] [--pod ID] [--name N] [--label K=V] [-q]  list running containers (all with --all)",
            "  inspect ID             the container's status, verbose, as JSON",
            "  logs ID                the container's log: stdout to stdout, stderr to stderr",
            "  exec ID [--timeout S] -- CMD [ARGS...]  run a command in it, exiting with its exit code",
            "  stop ID... [--timeout S]  stop containers (SIGKILL after the timeout)",
            "  rm ID...               remove containers (stopping them first)",
            "IDs may be abbreviated to a unique prefix, as ls prints them. Put -- before a command with options."})
public final class ContainersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ACTION", description = "run, create, start, ls, inspect, logs, exec, stop or rm")
    String action;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARG",
            description = "the pod id and command (run, create), container ids, or the container id and command (exec)")
    List<String> args = List.of();

    @Option(names = "--name", description = "run, create: the container's name in its pod; ls: only containers of this name")
    String name;

    @Option(names = "--image", description = "run, create: the image (name or id; pulled or imported beforehand)")
    String image;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "run, create: an environment variable (repeatable)")
    List<String> envs = new ArrayList<>();

    @Option(names = "--workdir", paramLabel = "DIR", description = "run, create: the working directory (default: the image's)")
    String workdir;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "run, create: a label of the container; ls: only containers with this label (repeatable)")
    List<String> labels = new ArrayList<>();

    @Option(names = {"-a", "--all"}, description = "ls: all containers, not only running ones")
    boolean all;

    @Option(names = "--pod", paramLabel = "ID", description = "ls: only this pod's containers")
    String pod;

    @Option(names = {"-q", "--quiet"}, description = "ls: print the full ids only")
    boolean quiet;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "exec: stop the command after this long (default 0, no limit); stop: grace period before SIGKILL (default 10)")
    Long timeout;

    @Override
    public Integer call() {
        String command = "containers " + action;
        return switch (action) {
            case "run" -> CriCall.run(spec, command, Duration.ofMinutes(5), cri -> create(cri, true));
            case "create" -> CriCall.run(spec, command, Duration.ofMinutes(5), cri -> create(cri, false));
            case "start" -> CriCall.run(spec, command, Duration.ofMinutes(5), this::start);
            case "ls", "list", "ps" -> CriCall.run(spec, command, Duration.ofMinutes(1), this::list);
            case "inspect" -> CriCall.run(spec, command, Duration.ofMinutes(1), this::inspect);
            case "logs" -> CriCall.run(spec, command, Duration.ofMinutes(1), this::logs);
            case "exec" -> CriCall.run(spec, command, execDeadline(), this::exec);
            case "stop" -> CriCall.run(spec, command, Duration.ofSeconds(stopTimeout() + 60), this::stop);
            case "rm" -> CriCall.run(spec, command, Duration.ofMinutes(5), this::remove);
            default -> {
                System.err.println("crisp containers: unknown action '" + action + "' (run, create, start, ls, inspect, logs, exec, stop, rm)");
                yield ExitCodes.CONFIG;
            }
        };
    }

    /** The CreateContainer request the run and create flags describe, for this full pod id. */
    CreateContainerRequest createRequest(String podId) {
        if (name == null || name.isEmpty()) {
            throw new CriCall.UsageException("--name is required");
        }
        if (image == null || image.isEmpty()) {
            throw new CriCall.UsageException("--image is required");
        }
        ContainerConfig.Builder config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name).setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(image))
                .addAllCommand(args.subList(1, args.size()))
                .putAllLabels(CriCall.keyValues("--label", labels))
                .setLogPath(name + "/0.log");
        for (Map.Entry<String, String> env : CriCall.keyValues("--env", envs).entrySet()) {
            config.addEnvs(KeyValue.newBuilder().setKey(env.getKey()).setValue(env.getValue()));
        }
        if (workdir != null) {
            config.setWorkingDir(workdir);
        }
        // The CRI names the pod by id; crisp keeps the pod's configuration itself, so sandbox_config stays empty.
        return CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config).build();
    }

    private int create(CriClient cri, boolean start) {
        if (args.isEmpty()) {
            throw new CriCall.UsageException("name the pod: crisp containers " + action + " POD_ID --name NAME --image IMAGE [-- COMMAND...]");
        }
        String podId = PodsCommand.resolve(cri, List.of(args.get(0))).get(0);
        CreateContainerRequest request = createRequest(podId);
        String id = cri.runtime().createContainer(request).getContainerId();
        if (start) {
            try {
                cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            } catch (RuntimeException e) {
                System.err.println("crisp containers run: created " + id + " but could not start it");
                throw e;
            }
        }
        System.out.println(id);
        return 0;
    }

    private int start(CriClient cri) {
        for (String id : requireIds(cri)) {
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            System.out.println("started " + id);
        }
        return 0;
    }

    private int list(CriClient cri) {
        if (!args.isEmpty()) {
            throw new CriCall.UsageException("takes no arguments (--pod ID selects a pod)");
        }
        Map<String, String> selector = CriCall.keyValues("--label", labels);
        ContainerFilter.Builder filter = ContainerFilter.newBuilder().putAllLabelSelector(selector);
        if (pod != null) {
            filter.setPodSandboxId(PodsCommand.resolve(cri, List.of(pod)).get(0));
        }
        if (!all) {
            filter.setState(ContainerStateValue.newBuilder().setState(ContainerState.CONTAINER_RUNNING));
        }
        List<Container> containers = new ArrayList<>();
        for (Container c : cri.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(filter).build()).getContainersList()) {
            if ((name == null || name.equals(c.getMetadata().getName())) && c.getLabelsMap().entrySet().containsAll(selector.entrySet())
                    && (all || c.getState() == ContainerState.CONTAINER_RUNNING)) {
                containers.add(c);
            }
        }
        containers.sort((a, b) -> Long.compare(b.getCreatedAt(), a.getCreatedAt()));
        if (quiet) {
            containers.forEach(c -> System.out.println(c.getId()));
            return 0;
        }
        Instant now = Instant.now();
        String format = "%-13s  %-40s  %-18s  %-8s  %-20s  %-7s  %s%n";
        System.out.printf(format, "CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID");
        for (Container c : containers) {
            String shown = c.getImage().getImage().isEmpty() ? c.getImageRef() : c.getImage().getImage();
            if (shown.startsWith("sha256:")) {
                shown = CriCall.shortId(shown);
            }
            System.out.printf(format, CriCall.shortId(c.getId()), shown, CriCall.ago(c.getCreatedAt(), now), state(c.getState()),
                    c.getMetadata().getName(), c.getMetadata().getAttempt(), CriCall.shortId(c.getPodSandboxId()));
        }
        return 0;
    }

    private int inspect(CriClient cri) {
        for (String id : requireIds(cri)) {
            ContainerStatusResponse response = cri.runtime().containerStatus(
                    ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(true).build());
            var json = ProtoJson.JSON.createObjectNode();
            json.set("status", ProtoJson.toJson(response.getStatus()));
            json.set("info", ProtoJson.info(response.getInfoMap()));
            System.out.println(ProtoJson.pretty(json));
        }
        return 0;
    }

    private int logs(CriClient cri) throws IOException {
        List<String> ids = requireIds(cri);
        if (ids.size() != 1) {
            throw new CriCall.UsageException("name one container");
        }
        String logPath = cri.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(ids.get(0)).build())
                .getStatus().getLogPath();
        if (logPath.isEmpty()) {
            System.err.println("crisp containers logs: container " + ids.get(0) + " has no log file (its pod has no log directory)");
            return ExitCodes.FAILURE;
        }
        try (BufferedReader reader = Files.newBufferedReader(Path.of(logPath), StandardCharsets.UTF_8)) {
            new CriLogText(System.out, System.err).copy(reader);
        } catch (NoSuchFileException e) {
            // Created but never started: nothing logged yet.
        }
        return 0;
    }

    private int exec(CriClient cri) throws IOException {
        if (args.size() < 2) {
            throw new CriCall.UsageException("name the container and the command: crisp containers exec ID -- COMMAND [ARGS...]");
        }
        String id = resolveContainers(cri, args.subList(0, 1)).get(0);
        ExecSyncResponse response = cri.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id)
                .addAllCmd(args.subList(1, args.size())).setTimeout(timeout == null ? 0 : timeout).build());
        System.out.write(response.getStdout().toByteArray());
        System.out.flush();
        System.err.write(response.getStderr().toByteArray());
        System.err.flush();
        return response.getExitCode();
    }

    private int stop(CriClient cri) {
        for (String id : requireIds(cri)) {
            cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(stopTimeout()).build());
            System.out.println("stopped " + id);
        }
        return 0;
    }

    private int remove(CriClient cri) {
        for (String id : requireIds(cri)) {
            cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
            System.out.println("removed " + id);
        }
        return 0;
    }

    private long stopTimeout() {
        return timeout == null ? 10 : timeout;
    }

    /** ExecSync's own timeout plus a margin, or a day when the command has no limit. */
    private Duration execDeadline() {
        return timeout == null || timeout <= 0 ? Duration.ofDays(1) : Duration.ofSeconds(timeout + 30);
    }

    private List<String> requireIds(CriClient cri) {
        if (args.isEmpty()) {
            throw new CriCall.UsageException("name at least one container id");
        }
        return resolveContainers(cri, args);
    }

    /** The ids given, abbreviations completed from the daemon's list of all containers. */
    private static List<String> resolveContainers(CriClient cri, List<String> given) {
        List<String> known = cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                .map(Container::getId).toList();
        return given.stream().map(id -> CriCall.resolve("container", id, known)).toList();
    }

    static String state(ContainerState state) {
        return switch (state) {
            case CONTAINER_CREATED -> "Created";
            case CONTAINER_RUNNING -> "Running";
            case CONTAINER_EXITED -> "Exited";
            case CONTAINER_UNKNOWN -> "Unknown";
            default -> state.name();
        };
    }
}
