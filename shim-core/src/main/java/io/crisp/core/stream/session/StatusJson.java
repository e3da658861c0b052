package io.crisp.core.stream.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crisp.core.state.Json;

/**
 * What the error stream (SPDY) or channel 3 (WebSocket) says at the end of an exec or attach,
 * shaped like the kubelet's streaming server writes it so that client-go turns it into the same result:
 *
 * <ul>
 *   <li>v4 and later, success: {@code {"metadata":{},"status":"Success"}}</li>
 *   <li>v4 and later, exit code N: status {@code Failure}, reason {@code NonZeroExitCode},
 *       {@code details.causes[0]} = {@code {"reason":"ExitCode","message":"N"}}; client-go reads
 *       the code from that cause</li>
 *   <li>v4 and later, failure: status {@code Failure}, reason {@code InternalError}, code 500, the
 *       message as is, and the message again as the one cause (kubelet's {@code NewInternalError}
 *       shape, without its "Internal error occurred:" prefix: crisp's failure messages go to the
 *       client unchanged)</li>
 *   <li>v1 to v3: nothing on success, else the status message as plain text</li>
 * </ul>
 *
 * Field order follows Go's encoding of {@code metav1.Status} (metadata, status, message, reason,
 * details, code).
 */
public final class StatusJson {
    private static final ObjectMapper MAPPER = Json.MAPPER;

    private StatusJson() {
    }

    /** The {@code metav1.Status} JSON for {@code outcome}. */
    public static String json(StdioOutcome outcome) {
        ObjectNode status = MAPPER.createObjectNode();
        status.putObject("metadata");
        if (outcome.isSuccess()) {
            status.put("status", "Success");
            return write(status);
        }
        status.put("status", "Failure");
        status.put("message", message(outcome));
        ArrayNode causes = MAPPER.createArrayNode();
        if (outcome.failure().isPresent()) {
            status.put("reason", "InternalError");
            causes.addObject().put("message", outcome.failure().get());
            status.putObject("details").set("causes", causes);
            status.put("code", 500);
        } else {
            status.put("reason", "NonZeroExitCode");
            causes.addObject().put("reason", "ExitCode").put("message", Integer.toString(outcome.exitCode().getAsInt()));
            status.putObject("details").set("causes", causes);
        }
        return write(status);
    }

    /** The status message of a failed outcome (the plain text v1 to v3 send). */
    public static String message(StdioOutcome outcome) {
        if (outcome.failure().isPresent()) {
            return outcome.failure().get();
        }
        return "command terminated with non-zero exit code: exit status " + outcome.exitCode().orElse(0);
    }

    private static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
