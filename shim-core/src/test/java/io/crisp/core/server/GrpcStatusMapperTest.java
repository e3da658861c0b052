package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.ConfigException;
import io.crisp.spi.BackendException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

final class GrpcStatusMapperTest {
    @ParameterizedTest
    @EnumSource(BackendException.Kind.class)
    void everyBackendKindMapsToTheSameNamedCode(BackendException.Kind kind) {
        BackendException error = new BackendException(kind, "handler 'kata': something about " + kind);

        StatusRuntimeException status = GrpcStatusMapper.toStatus("StartContainer", error);

        assertEquals(kind.name(), status.getStatus().getCode().name());
        assertEquals("handler 'kata': something about " + kind, status.getStatus().getDescription());
        assertEquals(kind.name(), GrpcStatusMapper.code(kind).getCode().name());
    }

    @Test
    void backendExceptionSubclassesMapByKind() {
        BackendException error = new BackendException(BackendException.Kind.NOT_FOUND, "container 'abc' not found") {
            private static final long serialVersionUID = 1L;
        };

        Status status = GrpcStatusMapper.toStatus("ContainerStatus", error).getStatus();

        assertEquals(Status.Code.NOT_FOUND, status.getCode());
        assertEquals("container 'abc' not found", status.getDescription());
    }

    @Test
    void aStatusThrownOnPurposePassesThroughUnchanged() {
        StatusRuntimeException thrown = Status.ABORTED.withDescription("try again").asRuntimeException();

        assertSame(thrown, GrpcStatusMapper.toStatus("Status", thrown));
    }

    @Test
    void configExceptionIsFailedPrecondition() {
        ConfigException error = new ConfigException("/etc/crisp/crisp.toml: table [runtime] key 'default_runtime': bad");

        Status status = GrpcStatusMapper.toStatus("UpdateRuntimeConfig", error).getStatus();

        assertEquals(Status.Code.FAILED_PRECONDITION, status.getCode());
        assertEquals(error.getMessage(), status.getDescription());
    }

    @Test
    void illegalArgumentIsInvalidArgument() {
        assertEquals(Status.Code.INVALID_ARGUMENT,
                GrpcStatusMapper.toStatus("RunPodSandbox", new IllegalArgumentException("labels: too many")).getStatus().getCode());
        Status subclass = GrpcStatusMapper.toStatus("RunPodSandbox", new NumberFormatException("For input string: \"x\"")).getStatus();
        assertEquals(Status.Code.INVALID_ARGUMENT, subclass.getCode());
        assertEquals("For input string: \"x\"", subclass.getDescription());
    }

    @Test
    void anyOtherFailureIsInternalNamingTheRpcNeverUnknown() {
        for (Throwable error : List.of(new IllegalStateException("boom"), new NullPointerException(),
                new UnsupportedOperationException("nope"), new RuntimeException("plain"), new NoClassDefFoundError("com/example/Gone"))) {
            StatusRuntimeException mapped = GrpcStatusMapper.toStatus("CreateContainer", error);
            Status status = mapped.getStatus();

            assertEquals(Status.Code.INTERNAL, status.getCode(), error.toString());
            assertNotEquals(Status.Code.UNKNOWN, status.getCode());
            assertTrue(status.getDescription().contains("CreateContainer"), status.getDescription());
            assertTrue(status.getDescription().contains(error.toString()), status.getDescription());
            assertSame(error, status.getCause());
        }
    }

    // ---- Rpc.unary, the one caller ----

    private static final class Recorder<T> implements StreamObserver<T> {
        final List<T> values = new ArrayList<>();
        Throwable error;
        int completed;

        @Override
        public void onNext(T value) {
            values.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
            completed++;
        }
    }

    @Test
    void unaryCompletesWithTheResponse() {
        Recorder<String> observer = new Recorder<>();

        Rpc.unary(observer, "Version", () -> "ok");

        assertEquals(List.of("ok"), observer.values);
        assertEquals(1, observer.completed);
        assertNull(observer.error);
    }

    @Test
    void unaryTurnsFailuresIntoStatuses() {
        Recorder<String> backend = new Recorder<>();
        Rpc.unary(backend, "StopPodSandbox", () -> {
            throw BackendException.unavailable("handler 'kata': VM not reachable");
        });
        Recorder<String> linkage = new Recorder<>();
        Rpc.unary(linkage, "ExecSync", () -> {
            throw new NoSuchMethodError("io.crisp.spi.RuntimeBackend.frobnicate()");
        });

        assertEquals(List.of(), backend.values);
        assertEquals(0, backend.completed);
        Status status = ((StatusRuntimeException) backend.error).getStatus();
        assertEquals(Status.Code.UNAVAILABLE, status.getCode());
        assertEquals("handler 'kata': VM not reachable", status.getDescription());
        Status internal = ((StatusRuntimeException) linkage.error).getStatus();
        assertEquals(Status.Code.INTERNAL, internal.getCode());
        assertTrue(internal.getDescription().startsWith("ExecSync failed: "), internal.getDescription());
        assertEquals(0, linkage.completed);
    }

    @Test
    void aFullDiskIsResourceExhaustedNamingThePathHoweverWrapped() {
        java.io.IOException enospc = new java.io.IOException("No space left on device");
        java.nio.file.FileSystemException named = new java.nio.file.FileSystemException("/var/lib/crisp/images/ingest/x.part", null,
                enospc.getMessage());
        named.initCause(enospc);
        // as the image store wraps it: a BackendException of another kind with the file in a cause only
        BackendException wrapped = new BackendException(BackendException.Kind.INVALID_ARGUMENT, "cannot import /tmp/a.tar: No space left on device",
                new java.io.UncheckedIOException(named));

        Status status = GrpcStatusMapper.toStatus("ImportImages", wrapped).getStatus();

        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertEquals("cannot import /tmp/a.tar: No space left on device (writing /var/lib/crisp/images/ingest/x.part)", status.getDescription());
    }

    @Test
    void aPluginsDiskFullOrQuotaMessageIsResourceExhaustedAsItSaysIt() {
        BackendException quota = new BackendException(BackendException.Kind.INTERNAL,
                "handler 'runc': runc create failed: write /run/crisp/runc/abc/state.json: disk quota exceeded");

        Status status = GrpcStatusMapper.toStatus("CreateContainer", quota).getStatus();

        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertEquals(quota.getMessage(), status.getDescription());
        assertEquals(Status.Code.INTERNAL, GrpcStatusMapper.toStatus("CreateContainer",
                new BackendException(BackendException.Kind.INTERNAL, "handler 'runc': exit 1")).getStatus().getCode());
    }

    @Test
    void aDescriptionQuotingAHugeFieldIsCutToFitTheStatusHeader() {
        String id = "ü💥".repeat(50_000);
        Status status = GrpcStatusMapper.toStatus("ContainerStatus", BackendException.notFound("container_id: container %s not found", id)).getStatus();

        assertEquals(Status.Code.NOT_FOUND, status.getCode());
        assertTrue(status.getDescription().startsWith("container_id: container ü💥"), status.getDescription());
        assertTrue(status.getDescription().endsWith(" more characters)"), status.getDescription());
        assertTrue(status.getDescription().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= GrpcStatusMapper.MAX_DESCRIPTION_BYTES);
    }

    @Test
    void aCallersTextSayingDiskFullIsNotTakenForAFullDisk() {
        BackendException quoted = BackendException.invalidArgument("image: \"No space left on device\" is not a valid reference");

        assertEquals(Status.Code.INVALID_ARGUMENT, GrpcStatusMapper.toStatus("PullImage", quoted).getStatus().getCode());
    }
}
