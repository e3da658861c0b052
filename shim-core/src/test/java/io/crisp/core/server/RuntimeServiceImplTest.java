package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.CrispBuild;
import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.plugin.PluginJar;
import io.crisp.core.runtime.DaemonState;
import io.crisp.core.runtime.ReloadOutcome;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.core.daemon.Lifecycle;
import io.crisp.core.image.ImageService;
import io.crisp.core.runtime.EventRouter;
import io.crisp.core.stats.StatsService;
import io.crisp.core.stream.StreamUrls;
import io.crisp.cri.v1.CgroupDriver;
import io.crisp.cri.v1.NetworkConfig;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.RuntimeConfig;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.crisp.spi.ContainerEventSink;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRI RuntimeService over in-process gRPC, backed by a real daemon state: the example plugin
 * loaded from a JAR, and a handler table with {@code demo} (the default) and {@code other}.
 */
final class RuntimeServiceImplTest {
    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private PluginCatalog catalog;
    private HandlerRegistry registry;
    private DaemonState state;
    private Server server;
    private ManagedChannel channel;
    private RuntimeServiceGrpc.RuntimeServiceBlockingStub stub;
    private Lifecycle lifecycle;

    @BeforeEach
    void start() throws Exception {
        Path home = dir.resolve("home");
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        PluginJar.example().writeTo(plugins.resolve("crisp-plugin-example.jar"));
        Path file = dir.resolve("crisp.toml");
        Files.writeString(file, """
                root = "%s"
                state = "%s"

                [runtime]
                default_runtime = "demo"
                plugins_dir = "%s"

                [runtimes.demo]
                plugin = "example"
                description = "the default"

                [runtimes.other]
                plugin = "example"
                """.formatted(dir.resolve("root"), dir.resolve("state"), plugins));
        CrispConfig config = new ConfigLoader(home).load(file, true, dir.resolve("crisp.d"), Map.of());

        catalog = new PluginCatalog();
        assertEquals(List.of(), catalog.scan(config.pluginsDir()));
        registry = new HandlerRegistry(ContainerEventSink.discarding());
        registry.apply(config, catalog);
        state = new DaemonState(registry, catalog);
        state.config(config);
        state.lastLoad(new ReloadOutcome(1, Instant.now(), Optional.empty()));

        ImageService images = new ImageService(config.root(), () -> new ImageService.PullSettings(config.registriesConf(), config.authFile(),
                config.imagePullProgressTimeout(), config.maxConcurrentDownloads(), config.platform()));
        images.start();
        lifecycle = Lifecycle.start(state, config, images, new EventRouter());
        RuntimeServiceImpl service = new RuntimeServiceImpl(
                new RuntimeInfoRpcs(new RuntimeInfoService(state), state.node(), null),
                new PodSandboxRpcs(lifecycle.sandboxes(), lifecycle.bundles()),
                new ContainerRpcs(lifecycle.containers(), lifecycle.bundles()),
                new StreamingRpcs(new StreamUrls(lifecycle.containers().execs(), lifecycle.sandboxes(), lifecycle.streaming()::url)),
                new StatsRpcs(new StatsService(lifecycle.stats(), lifecycle.sandboxes(), lifecycle.containers())));
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(ServerInterceptors.intercept(service, new RpcLogInterceptor())).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        stub = RuntimeServiceGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.shutdownNow();
        }
        if (lifecycle != null) {
            lifecycle.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (catalog != null) {
            catalog.close();
        }
    }

    private static PodSandboxConfig.Builder pod(String name) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default").setUid("uid-" + name).setAttempt(0))
                .setHostname(name)
                .setLogDirectory("/var/log/pods/default_" + name);
    }

    private StatusRuntimeException runPodSandboxFails(RunPodSandboxRequest request) {
        return assertThrows(StatusRuntimeException.class, () -> stub.runPodSandbox(request));
    }

    private Map<String, String> verboseInfo() {
        return stub.status(StatusRequest.newBuilder().setVerbose(true).build()).getInfoMap();
    }

    @Test
    void versionNamesCrispAndCriV1() {
        VersionResponse version = stub.version(VersionRequest.newBuilder().setVersion("0.1.0").build());

        assertEquals("crisp", version.getRuntimeName());
        assertEquals("v1", version.getRuntimeApiVersion());
        assertEquals(CrispBuild.VERSION, version.getRuntimeVersion());
        assertNotNull(CrispBuild.VERSION);
        assertFalse(CrispBuild.VERSION.isEmpty());
        assertFalse(CrispBuild.VERSION.contains("${"), "build.properties must be filtered: " + CrispBuild.VERSION);
        assertEquals("0.1.0", version.getVersion());
    }

    @Test
    void statusReportsRuntimeReadyAndNetworkNotReady() {
        StatusResponse status = stub.status(StatusRequest.getDefaultInstance());

        Map<String, RuntimeCondition> conditions = new java.util.HashMap<>();
        status.getStatus().getConditionsList().forEach(c -> conditions.put(c.getType(), c));
        assertTrue(conditions.get("RuntimeReady").getStatus(), conditions.toString());
        assertFalse(conditions.get("NetworkReady").getStatus(), conditions.toString());
        assertEquals("NetworkPluginNotReady", conditions.get("NetworkReady").getReason());
        assertFalse(conditions.get("NetworkReady").getMessage().isEmpty());
        assertEquals(Map.of(), status.getInfoMap(), "info is only filled for verbose requests");
    }

    @Test
    void statusListsTheDefaultAndEveryConfiguredHandler() {
        StatusResponse status = stub.status(StatusRequest.getDefaultInstance());

        List<String> names = status.getRuntimeHandlersList().stream().map(RuntimeHandler::getName).toList();
        assertTrue(names.contains(""), names.toString());
        assertTrue(names.contains("demo"), names.toString());
        assertTrue(names.contains("other"), names.toString());
        assertEquals(3, names.size(), names.toString());
    }

    @Test
    void verboseStatusInfoIsJson() throws Exception {
        Map<String, String> info = verboseInfo();

        assertTrue(info.keySet().containsAll(List.of("config", "handlers", "plugins", "reload", "version", "node")), info.keySet().toString());
        for (Map.Entry<String, String> e : info.entrySet()) {
            JsonNode parsed = json.readTree(e.getValue());
            assertTrue(parsed.isContainerNode(), e.getKey() + " is not a JSON object or array: " + e.getValue());
        }
        JsonNode version = json.readTree(info.get("version"));
        assertEquals(CrispBuild.VERSION, version.get("runtime").asText());
        assertEquals("v1", version.get("cri").asText());
        JsonNode handlers = json.readTree(info.get("handlers"));
        List<String> names = new ArrayList<>();
        handlers.forEach(h -> names.add(h.get("name").asText()));
        assertEquals(List.of("demo", "other"), names);
        assertTrue(handlers.get(0).get("default").asBoolean());
        assertEquals("example", handlers.get(0).get("plugin").asText());
        assertEquals("the default", handlers.get(0).get("backend").get("description").asText());
        JsonNode plugins = json.readTree(info.get("plugins"));
        assertEquals("example", plugins.get("loaded").get(0).get("id").asText());
        assertEquals(0, plugins.get("problems").size());
        JsonNode reload = json.readTree(info.get("reload"));
        assertEquals(1, reload.get("attempt").asLong());
        assertEquals(1, reload.get("table_generation").asLong());
        assertFalse(reload.has("error"));
        JsonNode config = json.readTree(info.get("config"));
        assertEquals("demo", config.get("runtime").get("default_runtime").asText());
        assertEquals("example", config.get("runtimes").get("other").get("plugin").asText());
        JsonNode cniBinDir = config.get("network").get("cni_bin_dir");
        assertTrue(cniBinDir.isArray() && cniBinDir.size() >= 1 && cniBinDir.get(0).asText().startsWith("/"),
                "lists are JSON arrays (crictl info showed \"[/opt/cni/bin, /usr/lib/cni]\"): " + cniBinDir);
        assertEquals("", json.readTree(info.get("node")).get("pod_cidr").asText());
    }

    @Test
    void runtimeConfigIsCgroupfsByDefault() {
        assertEquals(CgroupDriver.CGROUPFS, stub.runtimeConfig(RuntimeConfigRequest.getDefaultInstance()).getLinux().getCgroupDriver());
    }

    private static UpdateRuntimeConfigRequest podCidr(String cidr) {
        return UpdateRuntimeConfigRequest.newBuilder()
                .setRuntimeConfig(RuntimeConfig.newBuilder().setNetworkConfig(NetworkConfig.newBuilder().setPodCidr(cidr))).build();
    }

    @Test
    void updateRuntimeConfigRefusesABadPodCidr() throws Exception {
        for (String bad : List.of("10.244.0.0", "10.244.0.0/33", "banana/24", "fd00::/129", "10.244.0.0/24,nope")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.updateRuntimeConfig(podCidr(bad)), bad);

            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
            assertTrue(e.getStatus().getDescription().contains("pod_cidr"), e.getStatus().getDescription());
        }
        assertEquals("", json.readTree(verboseInfo().get("node")).get("pod_cidr").asText());
    }

    @Test
    void updateRuntimeConfigStoresAGoodPodCidr() throws Exception {
        stub.updateRuntimeConfig(podCidr("10.244.1.0/24"));

        assertEquals("10.244.1.0/24", json.readTree(verboseInfo().get("node")).get("pod_cidr").asText());
        assertEquals("10.244.1.0/24", state.node().podCidr());

        stub.updateRuntimeConfig(podCidr("10.244.2.0/24,fd00:10:244::/64"));
        assertEquals("10.244.2.0/24,fd00:10:244::/64", json.readTree(verboseInfo().get("node")).get("pod_cidr").asText());

        // An empty CIDR (a node without one yet) changes nothing.
        stub.updateRuntimeConfig(UpdateRuntimeConfigRequest.getDefaultInstance());
        assertEquals("10.244.2.0/24,fd00:10:244::/64", state.node().podCidr());
    }

    @Test
    void runPodSandboxWithAnUnknownHandlerIsInvalidArgument() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setConfig(pod("web")).setRuntimeHandler("nvidia").build());

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        String description = e.getStatus().getDescription();
        assertTrue(description.contains("'nvidia'"), description);
        assertTrue(description.contains("demo, other"), description);
    }

    @Test
    void runPodSandboxOnTheDefaultHandlerIsUnimplementedNamingIt() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setConfig(pod("web")).setRuntimeHandler("").build());

        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("'demo'"), e.getStatus().getDescription());
    }

    @Test
    void runPodSandboxOnAKnownHandlerIsUnimplementedNamingIt() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setConfig(pod("web")).setRuntimeHandler("other").build());

        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("'other'"), e.getStatus().getDescription());
        assertTrue(e.getStatus().getDescription().contains("'example'"), e.getStatus().getDescription());
    }

    @Test
    void runPodSandboxWithoutConfigIsInvalidArgumentNamingTheField() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setRuntimeHandler("demo").build());

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().startsWith("config"), e.getStatus().getDescription());
    }

    @Test
    void runPodSandboxWithoutAPodNameIsInvalidArgumentNamingTheField() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setConfig(pod("")).build());

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("config.metadata.name"), e.getStatus().getDescription());
    }

    @Test
    void runPodSandboxValidatesTheRequestBeforeTheHandler() {
        StatusRuntimeException e = runPodSandboxFails(RunPodSandboxRequest.newBuilder().setConfig(pod("")).setRuntimeHandler("nvidia").build());

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("config.metadata.name"), e.getStatus().getDescription());
    }

    @Test
    void methodsNotImplementedAnswerUnimplemented() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.updatePodSandboxResources(io.crisp.cri.v1.UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId("abc").build()));

        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("UpdatePodSandboxResources"), e.getStatus().getDescription());
        // CheckpointContainer is built: an unknown container is NOT_FOUND naming the field
        StatusRuntimeException checkpoint = assertThrows(StatusRuntimeException.class,
                () -> stub.checkpointContainer(io.crisp.cri.v1.CheckpointContainerRequest.newBuilder().setContainerId("abc").setLocation("/tmp/x.tar").build()));
        assertEquals(Status.Code.NOT_FOUND, checkpoint.getStatus().getCode());
        assertTrue(checkpoint.getStatus().getDescription().contains("container_id"), checkpoint.getStatus().getDescription());
    }

    @Test
    void statsCallsAnswerFromTheCollector() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> stub.containerStats(io.crisp.cri.v1.ContainerStatsRequest.newBuilder().setContainerId("abc").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> stub.containerStats(io.crisp.cri.v1.ContainerStatsRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class,
                () -> stub.podSandboxStats(io.crisp.cri.v1.PodSandboxStatsRequest.newBuilder().setPodSandboxId("abc").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals(0, stub.listContainerStats(io.crisp.cri.v1.ListContainerStatsRequest.getDefaultInstance()).getStatsCount());
        assertEquals(0, stub.listPodSandboxStats(io.crisp.cri.v1.ListPodSandboxStatsRequest.getDefaultInstance()).getStatsCount());
        assertEquals(0, stub.listPodSandboxMetrics(io.crisp.cri.v1.ListPodSandboxMetricsRequest.getDefaultInstance()).getPodMetricsCount());
        assertTrue(stub.listMetricDescriptors(io.crisp.cri.v1.ListMetricDescriptorsRequest.getDefaultInstance()).getDescriptorsList()
                .stream().anyMatch(d -> d.getName().equals("container_cpu_usage_seconds_total")));
        e = assertThrows(StatusRuntimeException.class, () -> stub.listContainerStats(io.crisp.cri.v1.ListContainerStatsRequest.newBuilder()
                .setFilter(io.crisp.cri.v1.ContainerStatsFilter.newBuilder().putLabelSelector("no good", "x")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
}
