package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContainerResponsesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode info() {
        return JSON.createObjectNode().put("sandboxID", "abc").put("pid", 42);
    }

    @Test
    void verboseInfoCarriesTheSpecAsAnObject() throws Exception {
        String spec = "\n{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"sh\", \"-c\", \"echo \\\"}\\\"\"]}}\n";
        JsonNode parsed = JSON.readTree(ContainerResponses.withSpec(info(), Optional.of(spec)));
        assertEquals("abc", parsed.path("sandboxID").asText());
        assertEquals(42, parsed.path("pid").asInt());
        assertEquals(JSON.readTree(spec), parsed.path("runtimeSpec"));
        assertEquals("echo \"}\"", parsed.path("runtimeSpec").path("process").path("args").path(2).asText());
    }

    @Test
    void withoutASpecTheInfoIsTheFieldsAlone() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.withSpec(info(), Optional.empty()));
        assertEquals(2, parsed.size());
        assertTrue(parsed.path("runtimeSpec").isMissingNode());
    }

    @Test
    void aSpecThatIsNoObjectGoesInAsText() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.withSpec(info(), Optional.of("not json")));
        assertEquals("not json", parsed.path("runtimeSpec").asText());
    }

    @Test
    void anEmptyInfoGetsNoStrayComma() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.withSpec(JSON.createObjectNode(), Optional.of("{\"a\":1}")));
        assertEquals(1, parsed.path("runtimeSpec").path("a").asInt());
    }
}
