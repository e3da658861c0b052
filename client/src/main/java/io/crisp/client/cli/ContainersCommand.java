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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code crisp containers}: containers of the running daemon through its CRI socket, as
 * {@code crictl create}, {@code start}, {@code ps}, {@code inspect}, {@code logs}, {@code exec},
 * {@code attach}, {@code stop} and {@code rm} would use them, with the container given by flags
 * instead of a JSON file. Each action is a subcommand with its own options and help.
 */
@Command(name = "containers", sortOptions = false,
        description = {"Create, start, list, inspect, read the logs of, exec in, attach to, stop or remove containers in the running daemon.",
            "IDs may be abbreviated to a unique prefix, as ls prints them. Put -- before a command with options."},
        subcommands = {ContainersCommand.Run.class, ContainersCommand.Create.class, ContainersCommand.Start.class, ContainersCommand.Ls.class,
            ContainersCommand.Inspect.class, ContainerLogs.class, ContainersCommand.Exec.class, ContainersCommand.Attach.class,
            ContainersCommand.Stop.class,
            ContainersCommand.Rm.class})
public final class ContainersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        throw CriCall.usage(spec, "name an action: run, create, start, ls, inspect, logs, exec, attach, stop or rm");
    }

    /** What every action shares: its spec (for the socket and for usage errors) and the client options. */
    abstract static class Action implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ClientOptions client;

        /** "containers logs", for messages. */
        String command() {
            return "containers " + spec.name();
        }
    }

    @Command(name = "run", description = "Create and start a container in a pod; prints its id.")
    static class Run extends Action {
        @Parameters(index = "0", paramLabel = "POD_ID", description = "the pod (an id or a unique prefix)")
        String pod;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "CMD", description = "the command and its arguments (default: the image's)")
        List<String> command = List.of();

        @Option(names = "--name", required = true, description = "the container's name in its pod")
        String name;

        @Option(names = "--image", required = true, description = "the image (name or id; pulled or imported beforehand)")
        String image;

        @Option(names = "--env", paramLabel = "KEY=VALUE", description = "an environment variable (repeatable)")
        List<String> envs = new ArrayList<>();

        @Option(names = "--workdir", paramLabel = "DIR", description = "the working directory (default: the image's)")
        String workdir;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "a label of the container (repeatable)")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-i", "--stdin"}, description = "keep the container's stdin open for attach -i (closed when that attach ends)")
        boolean stdin;

        @Option(names = {"-t", "--tty"}, description = "give the container a terminal (for attach -t)")
        boolean tty;

        boolean start() {
            return true;
        }

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofMinutes(5), cri -> create(cri, this));
        }
    }

    @Command(name = "create", description = "Create a container in a pod without starting it; prints its id.")
    static final class Create extends Run {
        @Override
        boolean start() {
            return false;
        }
    }

    @Command(name = "start", description = "Start created containers.")
    static final class Start extends Action {
        @Parameters(arity = "1..*", paramLabel = "ID", description = "containers")
        List<String> ids;

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofMinutes(5), cri -> {
                for (String id : resolveContainers(cri, ids)) {
                    cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                    System.out.println("started " + id);
                }
                return 0;
            });
        }
    }

    @Command(name = "ls", aliases = {"list", "ps"}, description = "List running containers, or all with --all, newest first.")
    static final class Ls extends Action {
        @Option(names = {"-a", "--all"}, description = "all containers, not only running ones")
        boolean all;

        @Option(names = "--pod", paramLabel = "ID", description = "only this pod's containers")
        String pod;

        @Option(names = "--name", description = "only containers of this name")
        String name;

        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "only containers with this label (repeatable)")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-q", "--quiet"}, description = "print the full ids only")
        boolean quiet;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
                description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        Output output;

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofMinutes(1), this::list);
        }

        private int list(CriClient cri) {
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
            if (output == Output.json) {
                var list = ProtoJson.JSON.createArrayNode();
                containers.forEach(c -> list.add(ProtoJson.toJson(c)));
                System.out.println(ProtoJson.pretty(list));
                return 0;
            }
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
    }

    @Command(name = "inspect", description = "Print containers' status, verbose, as JSON.")
    static final class Inspect extends Action {
        @Parameters(arity = "1..*", paramLabel = "ID", description = "containers")
        List<String> ids;

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofMinutes(1), cri -> {
                for (String id : resolveContainers(cri, ids)) {
                    ContainerStatusResponse response = cri.runtime().containerStatus(
                            ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(true).build());
                    var json = ProtoJson.JSON.createObjectNode();
                    json.set("status", ProtoJson.toJson(response.getStatus()));
                    json.set("info", ProtoJson.info(response.getInfoMap()));
                    System.out.println(ProtoJson.pretty(json));
                }
                return 0;
            });
        }
    }

    @Command(name = "exec", description = {"Run a command in a running container and exit with its exit code.",
        "With -i or -t the command is interactive (the CRI Exec streaming URL, as crictl exec -it)."})
    static final class Exec extends Action {
        @Parameters(index = "0", paramLabel = "ID", description = "the container")
        String id;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments")
        List<String> command = List.of();

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "stop the command after this long (default 0, no limit; not with -i/-t)")
        long timeout;

        @Option(names = {"-i", "--stdin"}, description = "pass this process's stdin to the command (EOF closes it)")
        boolean stdin;

        @Option(names = {"-t", "--tty"}, description = "run the command on a terminal (this one, in raw mode)")
        boolean tty;

        @Override
        public Integer call() {
            if (stdin || tty) {
                if (timeout > 0) {
                    throw CriCall.usage(spec, "--timeout applies to a non-interactive exec only (not with -i or -t)");
                }
                boolean terminal = ContainerStreams.ttyUsable(tty);
                return CriCall.run(spec, command(), Duration.ofMinutes(1), cri -> {
                    String url = cri.runtime().exec(io.crisp.cri.v1.ExecRequest.newBuilder()
                            .setContainerId(resolveContainer(cri, id)).addAllCmd(command)
                            .setStdin(stdin).setTty(terminal).setStdout(true).setStderr(!terminal).build()).getUrl();
                    return ContainerStreams.session(url, stdin, terminal);
                });
            }
            Duration deadline = timeout <= 0 ? Duration.ofDays(1) : Duration.ofSeconds(timeout + 30); // ExecSync's own limit, plus a margin
            return CriCall.run(spec, command(), deadline, cri -> {
                String full = resolveContainers(cri, List.of(id)).get(0);
                ExecSyncResponse response = cri.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(full)
                        .addAllCmd(command).setTimeout(timeout).build());
                System.out.write(response.getStdout().toByteArray());
                System.out.flush();
                System.err.write(response.getStderr().toByteArray());
                System.err.flush();
                return response.getExitCode();
            });
        }
    }

    @Command(name = "attach", description = {"Attach to a running container's stdout and stderr, and with -i its stdin.",
        "The container must have been created with stdin (run -i) for -i, with a tty (run -t) for -t."})
    static final class Attach extends Action {
        @Parameters(index = "0", paramLabel = "ID", description = "the container")
        String id;

        @Option(names = {"-i", "--stdin"}, description = "pass this process's stdin to the container")
        boolean stdin;

        @Option(names = {"-t", "--tty"}, description = "the container has a terminal: use this one, in raw mode")
        boolean tty;

        @Override
        public Integer call() {
            boolean terminal = ContainerStreams.ttyUsable(tty);
            return CriCall.run(spec, command(), Duration.ofMinutes(1), cri -> {
                String url = cri.runtime().attach(io.crisp.cri.v1.AttachRequest.newBuilder().setContainerId(resolveContainer(cri, id))
                        .setStdin(stdin).setTty(terminal).setStdout(true).setStderr(!terminal).build()).getUrl();
                return ContainerStreams.session(url, stdin, terminal);
            });
        }
    }

    @Command(name = "stop", description = "Stop containers: SIGTERM (or the image's stop signal), SIGKILL after the timeout.")
    static final class Stop extends Action {
        @Parameters(arity = "1..*", paramLabel = "ID", description = "containers")
        List<String> ids;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10", description = "grace period before SIGKILL (default: ${DEFAULT-VALUE})")
        long timeout;

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofSeconds(timeout + 60), cri -> {
                for (String id : resolveContainers(cri, ids)) {
                    cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(timeout).build());
                    System.out.println("stopped " + id);
                }
                return 0;
            });
        }
    }

    @Command(name = "rm", description = "Remove containers, stopping them first.")
    static final class Rm extends Action {
        @Parameters(arity = "1..*", paramLabel = "ID", description = "containers")
        List<String> ids;

        @Override
        public Integer call() {
            return CriCall.run(spec, command(), Duration.ofMinutes(5), cri -> {
                for (String id : resolveContainers(cri, ids)) {
                    cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
                    System.out.println("removed " + id);
                }
                return 0;
            });
        }
    }

    /** The CreateContainer request the run and create flags describe, for this full pod id. */
    static CreateContainerRequest createRequest(Run run, String podId) {
        ContainerConfig.Builder config = ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(run.name).setAttempt(0))
                .setImage(ImageSpec.newBuilder().setImage(run.image))
                .addAllCommand(run.command)
                .putAllLabels(CriCall.keyValues("--label", run.labels))
                .setLogPath(run.name + "/0.log");
        for (Map.Entry<String, String> env : CriCall.keyValues("--env", run.envs).entrySet()) {
            config.addEnvs(KeyValue.newBuilder().setKey(env.getKey()).setValue(env.getValue()));
        }
        if (run.workdir != null) {
            config.setWorkingDir(run.workdir);
        }
        config.setStdin(run.stdin).setStdinOnce(run.stdin).setTty(run.tty);
        // The CRI names the pod by id; crisp keeps the pod's configuration itself, so sandbox_config stays empty.
        return CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config).build();
    }

    private static int create(CriClient cri, Run run) {
        String podId = PodsCommand.resolve(cri, List.of(run.pod)).get(0);
        CreateContainerRequest request = createRequest(run, podId);
        String id = cri.runtime().createContainer(request).getContainerId();
        if (run.start()) {
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

    /** The ids given, abbreviations completed from the daemon's list of all containers. */
    static List<String> resolveContainers(CriClient cri, List<String> given) {
        List<String> known = cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList().stream()
                .map(Container::getId).toList();
        return given.stream().map(id -> CriCall.resolve("container", id, known)).toList();
    }

    /** The one container an action names, resolved. */
    static String resolveContainer(CriClient cri, String given) {
        return resolveContainers(cri, List.of(given)).get(0);
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
