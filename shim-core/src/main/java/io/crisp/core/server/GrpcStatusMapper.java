package io.crisp.core.server;

import io.crisp.core.config.ConfigException;
import io.crisp.core.stream.StreamTokens;
import io.crisp.spi.BackendException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become gRPC statuses. Backend kinds map one to one; a status thrown on
 * purpose passes through; too many streaming URLs waiting and a full disk or quota (naming the path) are RESOURCE_EXHAUSTED; anything else is a bug, logged once here with the RPC name and answered
 * INTERNAL with its message, never the UNKNOWN grpc-java would send for an escaped exception.
 */
public final class GrpcStatusMapper {
    private static final Logger log = LoggerFactory.getLogger(GrpcStatusMapper.class);

    private GrpcStatusMapper() {}

    /** The most of a description sent: it travels in a header (grpc-message), which clients cap (grpc-java at 8 KiB). */
    static final int MAX_DESCRIPTION_BYTES = 1024;

    public static StatusRuntimeException toStatus(String rpc, Throwable error) {
        StatusRuntimeException status = map(rpc, error);
        String description = status.getStatus().getDescription();
        if (description == null || description.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_DESCRIPTION_BYTES) {
            return status;
        }
        // A message that quotes a caller's huge field would make the client drop the whole answer.
        return status.getStatus().withDescription(bounded(description)).asRuntimeException(status.getTrailers());
    }

    /** {@code description} cut to {@link #MAX_DESCRIPTION_BYTES} bytes of UTF-8 at a character boundary, saying how much was cut. */
    static String bounded(String description) {
        int end = 0;
        int bytes = 0;
        while (end < description.length()) {
            int cp = description.codePointAt(end);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + size > MAX_DESCRIPTION_BYTES - 64) {
                break;
            }
            bytes += size;
            end += Character.charCount(cp);
        }
        return description.substring(0, end) + "... (" + (description.length() - end) + " more characters)";
    }

    private static StatusRuntimeException map(String rpc, Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (DiskFull.isCause(error)) { // ENOSPC/EDQUOT however wrapped, a plugin's BackendException too
            return Status.RESOURCE_EXHAUSTED.withDescription(DiskFull.describe(error)).asRuntimeException();
        }
        if (error instanceof BackendException be) {
            return code(be.kind()).withDescription(be.getMessage()).asRuntimeException();
        }
        if (error instanceof ConfigException ce) {
            return Status.FAILED_PRECONDITION.withDescription(ce.getMessage()).asRuntimeException();
        }
        if (error instanceof StreamTokens.TooManyInFlight busy) {
            return Status.RESOURCE_EXHAUSTED.withDescription(busy.getMessage()).asRuntimeException();
        }
        if (error instanceof IllegalArgumentException iae) {
            return Status.INVALID_ARGUMENT.withDescription(iae.getMessage()).asRuntimeException();
        }
        log.error("{} failed unexpectedly", rpc, error);
        return Status.INTERNAL.withDescription(rpc + " failed: " + error).withCause(error).asRuntimeException();
    }

    static Status code(BackendException.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
            case UNIMPLEMENTED -> Status.UNIMPLEMENTED;
            case INTERNAL -> Status.INTERNAL;
        };
    }
}
