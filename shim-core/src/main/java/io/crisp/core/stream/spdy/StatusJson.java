package io.crisp.core.stream.spdy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.stream.StdioOutcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the error stream carries when an exec or attach ends. From {@code v4.channel.k8s.io} on it
 * is a {@code metav1.Status} as Go's encoding/json writes it (fields in struct order, empty ones
 * left out, but {@code metadata} always present); client-go's v4 error decoder turns reason
 * {@code NonZeroExitCode} with a cause of type {@code ExitCode} (JSON key {@code reason}) into the
 * exit code. Before v4 it is plain text, and nothing at all on success.
 */
final class StatusJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {
    }

    /** The v4 error-stream payload for {@code outcome}. */
    static String v4(StdioOutcome outcome) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("metadata", Map.of());
        if (outcome.isSuccess()) {
            status.put("status", "Success");
        } else if (outcome.failure().isPresent()) {
            String message = outcome.failure().get();
            status.put("status", "Failure");
            status.put("message", message);
            status.put("reason", "InternalError");
            status.put("details", Map.of("causes", List.of(Map.of("message", message))));
            status.put("code", 500);
        } else {
            int code = outcome.exitCode().getAsInt();
            status.put("status", "Failure");
            status.put("message", exitMessage(code));
            status.put("reason", "NonZeroExitCode");
            Map<String, Object> cause = new LinkedHashMap<>();
            cause.put("reason", "ExitCode");
            cause.put("message", Integer.toString(code));
            status.put("details", Map.of("causes", List.of(cause)));
        }
        try {
            return JSON.writeValueAsString(status);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a status", e);
        }
    }

    /** The pre-v4 error-stream payload: text for a failure or non-zero exit, empty on success. */
    static String plain(StdioOutcome outcome) {
        if (outcome.isSuccess()) {
            return "";
        }
        return outcome.failure().orElseGet(() -> exitMessage(outcome.exitCode().getAsInt()));
    }

    static String exitMessage(int code) {
        return "command terminated with non-zero exit code: exit status " + code;
    }
}
