package io.crisp.core.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContainerResponsesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final ContainerResponses.InfoFields FIELDS = json -> {
        json.writeStringField("sandboxID", "abc \"quoted\"");
        json.writeNumberField("pid", 42);
    };

    @Test
    void verboseInfoCarriesTheSpecAsAnObject() throws Exception {
        String spec = "\n{\"ociVersion\": \"1.1.0\", \"process\": {\"args\": [\"sh\", \"-c\", \"echo \\\"}\\\"\"]}}\n";
        JsonNode parsed = JSON.readTree(ContainerResponses.info(FIELDS, Optional.of(spec)));
        assertEquals("abc \"quoted\"", parsed.path("sandboxID").asText());
        assertEquals(42, parsed.path("pid").asInt());
        assertEquals(JSON.readTree(spec), parsed.path("runtimeSpec"));
        assertEquals("echo \"}\"", parsed.path("runtimeSpec").path("process").path("args").path(2).asText());
    }

    @Test
    void withoutASpecTheInfoIsTheFieldsAlone() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.info(FIELDS, Optional.empty()));
        assertEquals(2, parsed.size());
        assertTrue(parsed.path("runtimeSpec").isMissingNode());
    }

    @Test
    void aSpecThatIsNoObjectGoesInAsText() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.info(FIELDS, Optional.of("not json")));
        assertEquals("not json", parsed.path("runtimeSpec").asText());
    }

    @Test
    void aSpecThatIsOtherJsonGoesInParsed() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.info(FIELDS, Optional.of("[1, 2]")));
        assertEquals(2, parsed.path("runtimeSpec").path(1).asInt());
    }

    @Test
    void anEmptyInfoGetsNoStrayComma() throws Exception {
        JsonNode parsed = JSON.readTree(ContainerResponses.info(json -> { }, Optional.of("{\"a\":1}")));
        assertEquals(1, parsed.path("runtimeSpec").path("a").asInt());
        assertEquals(1, parsed.size());
    }
}
