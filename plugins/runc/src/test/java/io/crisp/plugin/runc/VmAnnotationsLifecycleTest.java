package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vm_annotations against a stand-in for cc-runtime / kata-runtime 1.x: a shell script, used as
 * runtime_path, that copies the config.json of every {@code create --bundle X ID} it is given and then
 * execs the real runc with the same arguments. Needs root, runc and conmon; see TestBundles.
 */
final class VmAnnotationsLifecycleTest {
    /** A pod annotation full of JSON syntax, which must come through untouched. */
    private static final String NOTE = "say \"hi\" \\ {\"a\":[1]}, \u00e9";

    @TempDir
    Path tmp;
    private Path records;
    private Path legacyRuntime;
    private RuncFixture fx;

    @BeforeEach
    void setUp() throws IOException {
        TestBundles.requirePrerequisites();
        records = Files.createDirectories(tmp.resolve("records"));
        legacyRuntime = tmp.resolve("legacy-vm-runtime");
        Files.writeString(legacyRuntime, """
                #!/bin/sh
                # Records the config.json of every create, then is runc.
                records='%s'
                create= bundle= prev=
                for arg in "$@"; do
                    case "$prev" in --bundle|-b) bundle=$arg ;; esac
                    case "$arg" in create) create=1 ;; --bundle=*) bundle=${arg#--bundle=} ;; esac
                    prev=$arg
                done
                if [ -n "$create" ] && [ -n "$bundle" ]; then
                    for id in "$@"; do :; done
                    cp "$bundle/config.json" "$records/$id.json"
                fi
                exec '%s' "$@"
                """.formatted(records, TestBundles.RUNC));
        Files.setPosixFilePermissions(legacyRuntime, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (fx != null) {
            fx.close();
        }
    }

    @AfterAll
    static void removeParentCgroups() throws IOException {
        RuncFixture.removeParentCgroups();
    }

    @Test
    void onTheLegacyRuntimeSeesCrioKeysOfSandboxAndContainer() throws Exception {
        fx = new RuncFixture(legacyRuntime, true);
        RuncBackend backend = fx.backend();
        assertEquals("true", backend.describe().get("vm_annotations"));
        String sb = fx.newId("sb");
        String c = fx.newId("c");
        String sbConfig = runSandbox(backend, sb);
        String cConfig = createContainer(backend, c, sb);

        Map<String, String> seenBySandbox = recorded(sb, sbConfig);
        assertEquals("sandbox", seenBySandbox.get("io.kubernetes.cri-o.ContainerType"));
        assertEquals(sb, seenBySandbox.get("io.kubernetes.cri-o.SandboxID"));
        assertEquals(NOTE, seenBySandbox.get("note"));
        Map<String, String> seenByContainer = recorded(c, cConfig);
        assertEquals("container", seenByContainer.get("io.kubernetes.cri-o.ContainerType"));
        assertEquals(sb, seenByContainer.get("io.kubernetes.cri-o.SandboxID"));
        assertEquals("container", seenByContainer.get("io.kubernetes.cri.container-type"));
        assertEquals(NOTE, seenByContainer.get("note"));

        // runc took the rewritten file: the container runs to its exit code.
        backend.startContainer(c);
        RuncFixture.await("exit of " + c, () -> fx.exited.containsKey(c));
        assertEquals(7, fx.exited.get(c).code());
    }

    @Test
    void offTheConfigReachesTheRuntimeAsWritten() throws Exception {
        fx = new RuncFixture(legacyRuntime, false);
        RuncBackend backend = fx.backend();
        assertEquals("false", backend.describe().get("vm_annotations"));
        String sb = fx.newId("sb");
        String c = fx.newId("c");
        String sbConfig = runSandbox(backend, sb);
        String cConfig = createContainer(backend, c, sb);
        for (String id : new String[] {sb, c}) {
            String seen = Files.readString(records.resolve(id + ".json"));
            assertEquals(id.equals(sb) ? sbConfig : cConfig, seen);
            Map<String, String> annotations = SpecAnnotations.parse(seen).strings();
            assertFalse(annotations.containsKey("io.kubernetes.cri-o.ContainerType"), annotations.toString());
            assertFalse(annotations.containsKey("io.kubernetes.cri-o.SandboxID"), annotations.toString());
        }
    }

    /** runSandbox on a bundle with the annotations the core writes; returns the config.json as written. */
    private String runSandbox(RuncBackend backend, String id) throws IOException {
        Path bundle = TestBundles.bundle(fx.base.resolve(id), id, "trap 'exit 0' TERM; while true; do sleep 1; done",
                OptionalLong.empty(), 0);
        String config = annotate(bundle, "sandbox", id);
        SandboxState state = backend.runSandbox(new SandboxSpec(id, new PodIdentity("pod", "default", "uid-" + id, 0),
                bundle, Optional.empty(), Optional.empty(), Map.of(), Map.of()));
        assertTrue(state.ready());
        return config;
    }

    private String createContainer(RuncBackend backend, String id, String sandboxId) throws IOException {
        OptionalLong sandboxPid = OptionalLong.of(backend.sandboxState(sandboxId).pid().orElseThrow());
        Path bundle = TestBundles.bundle(fx.base.resolve(id), id, "exit 7", sandboxPid, 0);
        String config = annotate(bundle, "container", sandboxId);
        backend.createContainer(new ContainerSpec(id, sandboxId, "c-" + id, bundle, Optional.of(fx.log(id)),
                false, false, false, Map.of()));
        return config;
    }

    /** Puts the core's annotations (and an odd pod annotation) second in config.json, as core-written JSON would. */
    private static String annotate(Path bundle, String type, String sandboxId) throws IOException {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("note", NOTE);
        annotations.put("io.kubernetes.cri.container-type", type);
        annotations.put("io.kubernetes.cri.sandbox-id", sandboxId);
        annotations.put("io.kubernetes.cri.sandbox-name", "pod");
        StringBuilder object = new StringBuilder();
        annotations.forEach((k, v) -> object.append(object.length() == 0 ? "" : ",")
                .append(SpecAnnotations.quote(k)).append(':').append(SpecAnnotations.quote(v)));
        Path file = bundle.resolve("config.json");
        String config = Files.readString(file).replaceFirst("^\\{\"ociVersion\":\"1.0.2\",",
                "{\"ociVersion\":\"1.0.2\",\"annotations\":{" + java.util.regex.Matcher.quoteReplacement(object.toString()) + "},");
        assertTrue(config.contains("\"annotations\":{\"note\""), config);
        Files.writeString(file, config);
        return config;
    }

    /**
     * The annotations the runtime saw for {@code id}; outside the annotations object its config.json is
     * the one written, byte for byte.
     */
    private Map<String, String> recorded(String id, String written) throws IOException {
        String seen = Files.readString(records.resolve(id + ".json"));
        String head = "{\"ociVersion\":\"1.0.2\",\"annotations\":";
        String tail = written.substring(written.indexOf("},\"process\":") + 1);
        assertTrue(seen.startsWith(head), seen);
        assertTrue(seen.endsWith(tail), seen);
        return SpecAnnotations.parse(seen).strings();
    }
}
