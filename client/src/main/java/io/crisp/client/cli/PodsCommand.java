package io.crisp.client.cli;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.NamespaceMode;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxFilter;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code crisp pods}: pod sandboxes of the running daemon through its CRI socket, as
 * {@code crictl runp}, {@code pods}, {@code inspectp}, {@code stopp} and {@code rmp} would use them,
 * with the pod given by flags instead of a JSON file.
 */
@Command(name = "pods", versionProvider = ClientVersion.class, mixinStandardHelpOptions = true,
        description = {"Run, list, inspect, stop or remove pods in the running daemon (CRI pod sandboxes).",
            "  run NAME      start a pod (prints its id); --namespace, --uid, --host-network, --runtime, --log-dir, --label",
            "  ls            list pods; --name, --label select, -q prints full ids only",
            "  inspect ID    the pod's status, verbose, as JSON",
            "  stop ID...    stop pods (their containers are killed)",
            "  rm ID...      remove pods (stopping them first)",
            "IDs may be abbreviated to a unique prefix, as ls prints them."})
public final class PodsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ACTION", description = "run, ls, inspect, stop or rm")
    String action;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARG", description = "the pod name (run) or pod ids")
    List<String> args = List.of();

    @Option(names = "--namespace", paramLabel = "NS", defaultValue = "default", description = "run: the pod's namespace (default: ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--uid", description = "run: the pod's uid (default: a random UUID)")
    String uid;

    @Option(names = "--host-network", description = "run: share the node's network namespace")
    boolean hostNetwork;

    @Option(names = "--runtime", paramLabel = "HANDLER", description = "run: the runtime handler (default: the daemon's default_runtime)")
    String runtime = "";

    @Option(names = "--log-dir", paramLabel = "DIR", description = "run: the pod's log directory (default: /var/log/pods/<namespace>_<name>_<uid>)")
    String logDir;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "run: a label of the pod; ls: only pods with this label (repeatable)")
    List<String> labels = new ArrayList<>();

    @Option(names = "--name", description = "ls: only pods of this name")
    String name;

    @Option(names = {"-q", "--quiet"}, description = "ls: print the full ids only")
    boolean quiet;

    @Override
    public Integer call() {
        String command = "pods " + action;
        return switch (action) {
            case "run" -> CriCall.run(spec, command, Duration.ofMinutes(5), this::run);
            case "ls", "list" -> CriCall.run(spec, command, Duration.ofMinutes(1), this::list);
            case "inspect" -> CriCall.run(spec, command, Duration.ofMinutes(1), this::inspect);
            case "stop" -> CriCall.run(spec, command, Duration.ofMinutes(5), this::stop);
            case "rm" -> CriCall.run(spec, command, Duration.ofMinutes(5), this::remove);
            default -> {
                System.err.println("crisp pods: unknown action '" + action + "' (run, ls, inspect, stop, rm)");
                yield ExitCodes.CONFIG;
            }
        };
    }

    static final String KUBELET_LOG_ROOT = "/var/log/pods/";
    /** The annotation `pods run` sets when it chose the pod's log directory. */
    static final String CLI_LOG_DIRECTORY = "io.crisp.cli/log-directory";

    /** The RunPodSandbox request the run flags describe. */
    RunPodSandboxRequest runRequest() {
        if (args.size() != 1) {
            throw new CriCall.UsageException("name exactly one pod: crisp pods run NAME");
        }
        String name = args.get(0);
        String podUid = uid != null ? uid : UUID.randomUUID().toString();
        PodSandboxConfig.Builder config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace(namespace).setUid(podUid).setAttempt(0))
                .setHostname(name);
        if (logDir != null) {
            config.setLogDirectory(logDir);
        } else {
            // The kubelet's layout; marked, so that `crisp pods rm` removes what this command chose.
            String dir = KUBELET_LOG_ROOT + namespace + "_" + name + "_" + podUid;
            config.setLogDirectory(dir).putAnnotations(CLI_LOG_DIRECTORY, dir);
        }
        config
                .putAllLabels(CriCall.keyValues("--label", labels))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder()
                                .setNetwork(hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD)
                                .setPid(NamespaceMode.CONTAINER)
                                .setIpc(NamespaceMode.POD))));
        return RunPodSandboxRequest.newBuilder().setConfig(config).setRuntimeHandler(runtime).build();
    }

    private int run(CriClient cri) {
        System.out.println(cri.runtime().runPodSandbox(runRequest()).getPodSandboxId());
        return 0;
    }

    private int list(CriClient cri) {
        if (!args.isEmpty()) {
            throw new CriCall.UsageException("takes no arguments");
        }
        Map<String, String> selector = CriCall.keyValues("--label", labels);
        ListPodSandboxRequest request = ListPodSandboxRequest.newBuilder()
                .setFilter(PodSandboxFilter.newBuilder().putAllLabelSelector(selector)).build();
        List<PodSandbox> pods = new ArrayList<>();
        for (PodSandbox pod : cri.runtime().listPodSandbox(request).getItemsList()) {
            if ((name == null || name.equals(pod.getMetadata().getName()))
                    && pod.getLabelsMap().entrySet().containsAll(selector.entrySet())) {
                pods.add(pod);
            }
        }
        pods.sort((a, b) -> Long.compare(b.getCreatedAt(), a.getCreatedAt()));
        if (quiet) {
            pods.forEach(pod -> System.out.println(pod.getId()));
            return 0;
        }
        Instant now = Instant.now();
        String format = "%-13s  %-18s  %-8s  %-24s  %-16s  %-7s  %s%n";
        System.out.printf(format, "POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME");
        for (PodSandbox pod : pods) {
            System.out.printf(format, CriCall.shortId(pod.getId()), CriCall.ago(pod.getCreatedAt(), now), state(pod.getState()),
                    pod.getMetadata().getName(), pod.getMetadata().getNamespace(), pod.getMetadata().getAttempt(),
                    pod.getRuntimeHandler().isEmpty() ? "(default)" : pod.getRuntimeHandler());
        }
        return 0;
    }

    private int inspect(CriClient cri) {
        List<String> ids = requireIds(cri);
        for (String id : ids) {
            PodSandboxStatusResponse response = cri.runtime().podSandboxStatus(
                    PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).setVerbose(true).build());
            var json = ProtoJson.JSON.createObjectNode();
            json.set("status", ProtoJson.toJson(response.getStatus()));
            if (response.getContainersStatusesCount() > 0) {
                var containers = json.putArray("containersStatuses");
                response.getContainersStatusesList().forEach(c -> containers.add(ProtoJson.toJson(c)));
            }
            json.set("info", ProtoJson.info(response.getInfoMap()));
            System.out.println(ProtoJson.pretty(json));
        }
        return 0;
    }

    private int stop(CriClient cri) {
        for (String id : requireIds(cri)) {
            cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            System.out.println("stopped " + id);
        }
        return 0;
    }

    private int remove(CriClient cri) throws IOException {
        for (String id : requireIds(cri)) {
            String logs = cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build())
                    .getStatus().getAnnotationsMap().getOrDefault(CLI_LOG_DIRECTORY, "");
            cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            // Only a directory `pods run` chose itself, and only under the kubelet's root.
            Path dir = Path.of(logs.isEmpty() ? "/" : logs).normalize();
            if (!logs.isEmpty() && dir.startsWith(KUBELET_LOG_ROOT) && dir.getNameCount() == 4) {
                deleteTree(dir);
            }
            System.out.println("removed " + id);
        }
        return 0;
    }

    /** The ids given, abbreviations completed from the daemon's list. */
    private List<String> requireIds(CriClient cri) {
        if (args.isEmpty()) {
            throw new CriCall.UsageException("name at least one pod id");
        }
        return resolve(cri, args);
    }

    static List<String> resolve(CriClient cri, List<String> given) {
        List<String> known = null;
        List<String> ids = new ArrayList<>();
        for (String id : given) {
            if (known == null) {
                known = cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                        .map(PodSandbox::getId).toList();
            }
            ids.add(CriCall.resolve("pod", id, known));
        }
        return ids;
    }

    static String state(PodSandboxState state) {
        return switch (state) {
            case SANDBOX_READY -> "Ready";
            case SANDBOX_NOTREADY -> "NotReady";
            default -> state.name();
        };
    }

    /** Removes a log directory and what it holds; symbolic links are removed, never followed. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
