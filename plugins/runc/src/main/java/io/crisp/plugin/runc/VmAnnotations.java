package io.crisp.plugin.runc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code vm_annotations}: the CRI-O spelling of the container type and sandbox id, added to a bundle's
 * config.json before {@code runtime create}, for OCI runtime CLIs that boot a VM per pod and tell the
 * pod's sandbox from its containers by CRI-O's keys only: Clear Containers' cc-runtime and early
 * Kata 1.x kata-runtime (their virtcontainers {@code oci} package reads exactly these two; a spec
 * without a container type is taken for a new sandbox, so every container would get its own VM).
 *
 * <p>The values come from the containerd keys the core writes, falling back to what the backend knows
 * (runSandbox or createContainer, and the sandbox's id) when those are missing. Values already under
 * the CRI-O keys, say copied from a pod's annotations, are replaced.
 */
final class VmAnnotations {
    static final String CRI_CONTAINER_TYPE = "io.kubernetes.cri.container-type";
    static final String CRI_SANDBOX_ID = "io.kubernetes.cri.sandbox-id";
    static final String CRIO_CONTAINER_TYPE = "io.kubernetes.cri-o.ContainerType";
    static final String CRIO_SANDBOX_ID = "io.kubernetes.cri-o.SandboxID";
    /** The type values are the same words in both spellings. */
    static final String SANDBOX = "sandbox";
    static final String CONTAINER = "container";

    private VmAnnotations() {}

    /** The CRI-O keys for a spec with {@code annotations}; {@code sandbox} and {@code sandboxId} are the fallback. */
    static Map<String, String> crioKeys(Map<String, String> annotations, boolean sandbox, String sandboxId) {
        String type = annotations.get(CRI_CONTAINER_TYPE);
        if (!SANDBOX.equals(type) && !CONTAINER.equals(type)) {
            type = sandbox ? SANDBOX : CONTAINER;
        }
        String id = annotations.get(CRI_SANDBOX_ID);
        if (id == null || id.isEmpty()) {
            id = sandboxId;
        }
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put(CRIO_CONTAINER_TYPE, type);
        keys.put(CRIO_SANDBOX_ID, id);
        return keys;
    }

    /** {@code json} with the CRI-O keys added; throws IllegalArgumentException when it is not a usable spec. */
    static String addTo(String json, boolean sandbox, String sandboxId) {
        SpecAnnotations doc = SpecAnnotations.parse(json);
        return doc.with(crioKeys(doc.strings(), sandbox, sandboxId));
    }

    /**
     * Rewrites {@code bundle/config.json} with the CRI-O keys: a new file beside it, synced, then
     * renamed over it, with the old file's permissions. Unchanged content is not rewritten.
     */
    static void addTo(Path bundle, boolean sandbox, String sandboxId) throws IOException {
        Path config = bundle.resolve("config.json");
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(config)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(config + " is not UTF-8", e);
        }
        String edited = addTo(json, sandbox, sandboxId);
        if (edited.equals(json)) {
            return;
        }
        Path tmp = Files.createTempFile(bundle, ".config.json.", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(edited.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(config));
            try {
                Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + config + " atomically: " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
