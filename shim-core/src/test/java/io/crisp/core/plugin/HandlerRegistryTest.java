package io.crisp.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.crisp.core.config.ConfigException;
import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.oci.SpecRules;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class HandlerRegistryTest {
    @TempDir
    Path dir;

    private Path pluginsDir;
    private final PluginCatalog catalog = new PluginCatalog();
    private final HandlerRegistry registry = new HandlerRegistry(ContainerEventSink.discarding());

    @BeforeEach
    void loadExamplePlugin() throws Exception {
        pluginsDir = Files.createDirectories(dir.resolve("home/plugins"));
        PluginJar.example().writeTo(pluginsDir.resolve("crisp-plugin-example.jar"));
        assertEquals(List.of(), catalog.scan(pluginsDir));
    }

    @AfterEach
    void close() {
        registry.close();
        catalog.close();
    }

    /** Writes {@code <name>.toml} with {@code default_runtime = "demo"} and the given handler tables, and loads it. */
    private CrispConfig config(String name, String runtimes) throws Exception {
        Path file = dir.resolve(name + ".toml");
        Files.writeString(file, """
                root = "%s"
                state = "%s"

                [runtime]
                default_runtime = "demo"
                plugins_dir = "%s"

                %s
                """.formatted(dir.resolve("root"), dir.resolve("state"), pluginsDir, runtimes));
        return new ConfigLoader(dir.resolve("home")).load(file, true, dir.resolve("crisp.d"), Map.of());
    }

    private static final String DEMO_AND_OTHER = """
            [runtimes.demo]
            plugin = "example"
            description = "one"

            [runtimes.other]
            plugin = "example"
            """;

    @Test
    void firstApplyBuildsGenerationOne() throws Exception {
        assertNull(registry.table());

        HandlerTable table = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);

        assertSame(table, registry.table());
        assertEquals(1, table.generation());
        assertEquals("demo", table.defaultHandler());
        assertEquals(List.of("demo", "other"), List.copyOf(table.handlers().keySet()));
        Handler demo = table.handlers().get("demo");
        assertSame(demo, table.resolve(""));
        assertSame(demo, table.resolve("demo"));
        assertSame(table.handlers().get("other"), table.resolve("other"));
        assertSame(catalog.find("example").orElseThrow(), demo.plugin());
        assertEquals(Map.of("description", "one", "handler", "demo"), demo.backend().describe());
        assertEquals("example backend: runs nothing", table.handlers().get("other").backend().describe().get("description"));
        assertEquals(Set.of(), demo.capabilities());
        assertFalse(demo.retired());
        // The backend is the plugin's class, from the plugin's class loader, inside the core's isolation wrapper.
        IsolatedBackend isolated = assertInstanceOf(IsolatedBackend.class, demo.backend());
        assertSame(demo.plugin().extension().getClass().getClassLoader(), isolated.delegate().getClass().getClassLoader());
    }

    @Test
    void anUnchangedConfigKeepsTheSameHandlers() throws Exception {
        HandlerTable first = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);

        HandlerTable second = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);

        assertNotSame(first, second);
        assertEquals(2, second.generation());
        assertSame(first.handlers().get("demo"), second.handlers().get("demo"));
        assertSame(first.handlers().get("other"), second.handlers().get("other"));
        assertFalse(second.handlers().get("demo").retired());
        assertFalse(second.handlers().get("other").retired());

        assertEquals(3, registry.apply(config("crisp", DEMO_AND_OTHER), catalog).generation());
    }

    @Test
    void genericSpecKeysAreTheCoresAndNeverReachThePlugin() throws Exception {
        HandlerTable table = registry.apply(config("generic", """
                [runtimes.demo]
                plugin = "example"
                description = "one"
                pod_annotations = ["io.katacontainers.*"]
                container_annotations = []
                privileged_without_host_devices = true
                vm_annotations = true
                default_ulimits = ["nofile=4096"]
                """), catalog);

        // The example plugin refuses unknown keys, so it saw only its own.
        Handler demo = table.handlers().get("demo");
        assertEquals("one", demo.backend().describe().get("description"));
        assertEquals(new SpecRules(Optional.of(List.of("io.katacontainers.*")), Optional.of(List.of()), true, true,
                List.of(new io.crisp.core.oci.Ulimit("nofile", 4096, 4096))), demo.specRules());

        HandlerTable changed = registry.apply(config("generic", """
                [runtimes.demo]
                plugin = "example"
                description = "one"
                pod_annotations = ["io.katacontainers.*"]
                """), catalog);
        assertNotSame(demo, changed.handlers().get("demo"), "a changed generic key makes a new handler");
        assertEquals(new SpecRules(Optional.of(List.of("io.katacontainers.*")), Optional.empty(), false, false,
                io.crisp.core.config.SpecRuleKeys.coreDefaultUlimits()), changed.handlers().get("demo").specRules(),
                "without default_ulimits: the core's default");
    }

    @Test
    void dropInfraCtrIsRefusedWhereThePluginCannotRunPodsWithoutInfra() throws Exception {
        Handler plain = registry.apply(config("infra", """
                [runtimes.demo]
                plugin = "example"
                """), catalog).handlers().get("demo");
        assertFalse(plain.supports(Capability.PODS_WITHOUT_INFRA));
        assertFalse(plain.podsWithoutInfra(), "unset: only where the backend can");

        Handler asked = registry.apply(config("infra", """
                [runtimes.demo]
                plugin = "example"
                drop_infra_ctr = true
                """), catalog).handlers().get("demo");
        io.crisp.spi.BackendException e = assertThrows(io.crisp.spi.BackendException.class, asked::podsWithoutInfra);
        assertEquals(io.crisp.spi.BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertTrue(e.getMessage().contains("drop_infra_ctr") && e.getMessage().contains("[runtimes.demo]"), e.getMessage());

        assertThrows(io.crisp.core.config.ConfigException.class, () -> registry.apply(config("infra", """
                [runtimes.demo]
                plugin = "example"
                drop_infra_ctr = "yes"
                """), catalog));
    }

    @Test
    void aChangedOptionMakesANewHandlerAndRetiresTheOld() throws Exception {
        HandlerTable first = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);
        Handler oldDemo = first.handlers().get("demo");

        HandlerTable second = registry.apply(config("crisp", DEMO_AND_OTHER.replace("\"one\"", "\"two\"")), catalog);

        Handler newDemo = second.handlers().get("demo");
        assertNotSame(oldDemo, newDemo);
        assertEquals("two", newDemo.backend().describe().get("description"));
        assertTrue(oldDemo.retired());
        assertFalse(newDemo.retired());
        assertSame(first.handlers().get("other"), second.handlers().get("other"));
        assertFalse(second.handlers().get("other").retired());
        assertSame(newDemo, registry.table().resolve(""));
    }

    @Test
    void aChangedDefaultAloneKeepsTheHandlers() throws Exception {
        HandlerTable first = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);
        Path file = dir.resolve("switch.toml");
        Files.writeString(file, """
                root = "%s"
                state = "%s"

                [runtime]
                default_runtime = "other"
                plugins_dir = "%s"

                %s
                """.formatted(dir.resolve("root"), dir.resolve("state"), pluginsDir, DEMO_AND_OTHER));
        // The tables' source file differs too: the origin is for messages, not part of the handler's identity.
        CrispConfig switched = new ConfigLoader(dir.resolve("home")).load(file, true, dir.resolve("crisp.d"), Map.of());

        HandlerTable second = registry.apply(switched, catalog);

        assertEquals("other", second.defaultHandler());
        assertSame(first.handlers().get("other"), second.resolve(""));
        assertSame(first.handlers().get("demo"), second.handlers().get("demo"));
    }

    @Test
    void aHandlerNamingAnUnloadedPluginIsRefusedAndTheOldTableStays() throws Exception {
        HandlerTable before = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);
        CrispConfig bad = config("bad", DEMO_AND_OTHER + """

                [runtimes.kata]
                plugin = "kata"
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> registry.apply(bad, catalog));

        String message = e.getMessage();
        assertTrue(message.contains("[runtimes.kata]"), message);
        assertTrue(message.contains(dir.resolve("bad.toml").toString()), message);
        assertTrue(message.contains("no plugin 'kata'"), message);
        assertTrue(message.contains(pluginsDir.toString()), message);
        assertTrue(message.contains("loaded plugins: example"), message);
        assertSame(before, registry.table());
        assertEquals(1, registry.table().generation());
        before.handlers().values().forEach(h -> assertFalse(h.retired(), h.name()));

        // The next good reload continues from the table in force.
        HandlerTable next = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);
        assertEquals(2, next.generation());
        assertSame(before.handlers().get("demo"), next.handlers().get("demo"));
    }

    @Test
    void optionsThePluginRefusesFailWithThePluginsMessage() throws Exception {
        HandlerTable before = registry.apply(config("crisp", DEMO_AND_OTHER), catalog);
        CrispConfig typo = config("typo", """
                [runtimes.demo]
                plugin = "example"
                descripton = "x"
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> registry.apply(typo, catalog));

        String message = e.getMessage();
        assertTrue(message.contains("unknown key 'descripton'"), message);
        assertTrue(message.contains("[runtimes.demo]"), message);
        assertTrue(message.contains(dir.resolve("typo.toml").toString()), message);
        assertSame(before, registry.table());
        before.handlers().values().forEach(h -> assertFalse(h.retired(), h.name()));
    }

    @Test
    void aRefusedFirstApplyLeavesNoTable() throws Exception {
        CrispConfig typo = config("typo", """
                [runtimes.demo]
                plugin = "example"
                description = 42
                """);

        ConfigException e = assertThrows(ConfigException.class, () -> registry.apply(typo, catalog));

        assertTrue(e.getMessage().contains("'description'"), e.getMessage());
        assertNull(registry.table());
    }

    // ---- Backend life cycle, observed through a plugin that wraps the example plugin's backends ----

    /** Wraps the real example extension and counts how often each backend it made is closed. */
    private static final class RecordingPlugin implements RuntimePlugin {
        private final RuntimePlugin delegate;
        final List<RecordingBackend> created = new ArrayList<>();

        RecordingPlugin(RuntimePlugin delegate) {
            this.delegate = delegate;
        }

        @Override
        public RuntimeBackend create(HandlerConfig config, RuntimeContext context) {
            RecordingBackend backend = new RecordingBackend(config.handlerName(), delegate.create(config, context));
            created.add(backend);
            return backend;
        }

        RecordingBackend last(String handler) {
            for (int i = created.size() - 1; i >= 0; i--) {
                if (created.get(i).handler.equals(handler)) {
                    return created.get(i);
                }
            }
            throw new AssertionError("no backend was created for " + handler);
        }
    }

    private static final class RecordingBackend implements RuntimeBackend {
        final String handler;
        final RuntimeBackend delegate;
        final AtomicInteger closes = new AtomicInteger();

        RecordingBackend(String handler, RuntimeBackend delegate) {
            this.handler = handler;
            this.delegate = delegate;
        }

        @Override
        public Set<Capability> capabilities() {
            return delegate.capabilities();
        }

        @Override
        public BackendHealth health() {
            return delegate.health();
        }

        @Override
        public Map<String, String> describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            closes.incrementAndGet();
            delegate.close();
        }
    }

    /** A catalog serving the real example plugin's extension wrapped in a {@link RecordingPlugin}. */
    private RecordingPlugin recording;
    private PluginCatalog recordingCatalog;

    private void useRecordingPlugin() {
        LoadedPlugin real = catalog.find("example").orElseThrow();
        recording = new RecordingPlugin(real.extension());
        LoadedPlugin wrapped = new LoadedPlugin(real.id(), real.version(), real.description(), real.requires(), real.jar(), recording);
        recordingCatalog = mock(PluginCatalog.class);
        when(recordingCatalog.find("example")).thenReturn(Optional.of(wrapped));
        when(recordingCatalog.plugins()).thenReturn(Map.of("example", wrapped));
    }

    @Test
    void aRetiredHandlerClosesItsBackendWhenItsLastPodIsReleased() throws Exception {
        useRecordingPlugin();
        Handler oldDemo = registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog).handlers().get("demo");
        RecordingBackend oldBackend = recording.last("demo");
        oldDemo.retain();
        oldDemo.retain();

        registry.apply(config("crisp", DEMO_AND_OTHER.replace("\"one\"", "\"two\"")), recordingCatalog);

        assertTrue(oldDemo.retired());
        assertEquals(0, oldBackend.closes.get(), "pods still use the retired handler");
        assertEquals(2, oldDemo.pods());
        registry.table().handlers().get("demo").retain(); // a pod created after the reload
        assertEquals(3, registry.pods("demo"), "status counts the handler's pods on its old backend too");
        oldDemo.release();
        assertEquals(0, oldBackend.closes.get(), "one pod still uses the retired handler");
        oldDemo.release();
        assertEquals(1, oldBackend.closes.get());
        assertEquals(1, registry.pods("demo"), "a closed retired backend counts no more");
        assertEquals(0, registry.pods("nonexistent"));
        assertEquals(0, recording.last("demo").closes.get(), "the new handler's backend stays open");
    }

    @Test
    void aRetiredHandlerWithoutPodsClosesAtOnce() throws Exception {
        useRecordingPlugin();
        registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog);
        RecordingBackend other = recording.last("other");
        RecordingBackend demo = recording.last("demo");

        registry.apply(config("crisp", """
                [runtimes.demo]
                plugin = "example"
                description = "one"
                """), recordingCatalog);

        assertEquals(1, other.closes.get(), "a dropped handler with no pods is closed");
        assertEquals(0, demo.closes.get(), "an unchanged handler is kept open");
        assertEquals(2, recording.created.size(), "no backend is created for an unchanged handler");
    }

    @Test
    void aPodOnAHandlerThatStaysDoesNotCloseIt() throws Exception {
        useRecordingPlugin();
        Handler demo = registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog).handlers().get("demo");
        demo.retain();

        demo.release();

        assertFalse(demo.retired());
        assertEquals(0, recording.last("demo").closes.get(), "a handler in the table stays open when its last pod goes");
    }

    @Test
    void aPluginThatThrowsUncheckedInCreateFailsOnlyItsHandlerAndAReloadCreatesItAgain() throws Exception {
        LoadedPlugin real = catalog.find("example").orElseThrow();
        AtomicInteger calls = new AtomicInteger();
        RuntimePlugin flaky = (config, context) -> {
            if (config.handlerName().equals("other") && calls.incrementAndGet() == 1) {
                throw new IllegalStateException("constructor bug");
            }
            return real.extension().create(config, context);
        };
        LoadedPlugin wrapped = new LoadedPlugin(real.id(), real.version(), real.description(), real.requires(), real.jar(), flaky);
        PluginCatalog flakyCatalog = mock(PluginCatalog.class);
        when(flakyCatalog.find("example")).thenReturn(Optional.of(wrapped));
        when(flakyCatalog.plugins()).thenReturn(Map.of("example", wrapped));

        HandlerTable first = registry.apply(config("crisp", DEMO_AND_OTHER), flakyCatalog);
        assertTrue(first.handlers().get("demo").health().ready(), "the other handler serves");
        BackendHealth broken = first.handlers().get("other").health();
        assertEquals("PluginCreateFailed", broken.reason());
        assertTrue(broken.message().contains("constructor bug") && broken.message().contains("plugin 'example'"), broken.message());
        BackendException refused = assertThrows(BackendException.class, () -> first.handlers().get("other").admitPod());
        assertEquals(BackendException.Kind.UNAVAILABLE, refused.kind());

        HandlerTable second = registry.apply(config("crisp", DEMO_AND_OTHER), flakyCatalog);
        assertSame(first.handlers().get("demo"), second.handlers().get("demo"), "the healthy handler is kept");
        assertNotSame(first.handlers().get("other"), second.handlers().get("other"), "the failed one is created again");
        assertTrue(second.handlers().get("other").health().ready());
    }

    @Test
    void aFailedApplyClosesTheBackendsItCreatedAndKeepsTheOldOnes() throws Exception {
        useRecordingPlugin();
        HandlerTable before = registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog);
        RecordingBackend oldDemo = recording.last("demo");
        CrispConfig bad = config("bad", DEMO_AND_OTHER.replace("\"one\"", "\"two\"") + """

                [runtimes.kata]
                plugin = "kata"
                """);

        assertThrows(ConfigException.class, () -> registry.apply(bad, recordingCatalog));

        RecordingBackend discarded = recording.last("demo");
        assertNotSame(oldDemo, discarded);
        assertEquals(1, discarded.closes.get(), "the backend made for the refused table is closed");
        assertEquals(0, oldDemo.closes.get());
        assertSame(before, registry.table());
        assertFalse(before.handlers().get("demo").retired());
    }

    @Test
    void closeClosesEveryBackendOnce() throws Exception {
        useRecordingPlugin();
        HandlerTable table = registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog);
        table.handlers().get("demo").retain();

        registry.close();

        assertNull(registry.table());
        assertEquals(2, recording.created.size());
        recording.created.forEach(b -> assertEquals(1, b.closes.get(), b.handler));
        table.handlers().get("demo").release();
        recording.created.forEach(b -> assertEquals(1, b.closes.get(), b.handler + " is closed only once"));
    }

    @Test
    void closeAlsoClosesRetiredBackendsThatPodsStillHold() throws Exception {
        // HandlerRegistry#close: "Closes every backend, retired or not: the daemon is stopping."
        useRecordingPlugin();
        Handler oldDemo = registry.apply(config("crisp", DEMO_AND_OTHER), recordingCatalog).handlers().get("demo");
        RecordingBackend oldBackend = recording.last("demo");
        oldDemo.retain();
        registry.apply(config("crisp", DEMO_AND_OTHER.replace("\"one\"", "\"two\"")), recordingCatalog);
        assertTrue(oldDemo.retired());
        assertEquals(0, oldBackend.closes.get());

        registry.close();

        recording.created.forEach(b -> assertEquals(1, b.closes.get(), "backend of '" + b.handler + "' closed at shutdown"));
        assertEquals(1, oldBackend.closes.get(), "the retired backend a pod still holds is closed at shutdown");
    }
}
