package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class JsonWriteTest {
    @Test
    void compactWithKeyOrderKept() {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put("z", 1L);
        object.put("a", List.of(true, false, Json.NULL));
        object.put("m", new LinkedHashMap<>());
        object.put("e", List.of());
        assertEquals("{\"z\":1,\"a\":[true,false,null],\"m\":{},\"e\":[]}", Json.write(object));
    }

    @Test
    void javaNullWritesAsJsonNull() {
        assertEquals("[null,null]", Json.write(Arrays.asList(null, Json.NULL)));
        assertEquals("null", Json.write(null));
    }

    @Test
    void escapesQuoteBackslashAndControlCharacters() {
        assertEquals("\"\\\" \\\\ \\b \\f \\n \\r \\t\"", Json.write("\" \\ \b \f \n \r \t"));
        assertEquals("\"\\u0000\\u001f\\u0001\"", Json.write("\u0000\u001f\u0001"));
        assertEquals("\"/ \u007f\"", Json.write("/ \u007f"));
    }

    @Test
    void nonAsciiStaysAsText() {
        String grinning = new String(Character.toChars(0x1F600));
        assertEquals("\"caf\u00e9 \u4e2d " + grinning + "\"", Json.write("caf\u00e9 \u4e2d " + grinning));
    }

    @Test
    void unpairedSurrogatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Json.write("a\uD83D"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uDE00b"));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uD83D\uD83D"));
    }

    @Test
    void numbers() {
        assertEquals("[1,-2,3,4,18446744073709551615,0.5,1.0E-5,100.0,0.25,1E+400,0.30000000000000000001]",
                Json.write(List.of(1L, -2, (short) 3, (byte) 4, new BigInteger("18446744073709551615"),
                        0.5, 1e-5, 100.0, 0.25f, new BigDecimal("1e400"),
                        new BigDecimal("0.30000000000000000001"))));
    }

    @Test
    void nonFiniteNumbersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
    }

    @Test
    void otherTypesAndKeysAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(Set.of("a")));
        assertEquals(true, e.getMessage().startsWith("cannot write a "), e.getMessage());
        Map<Object, Object> numericKey = new HashMap<>();
        numericKey.put(1, "x");
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(numericKey));
        assertEquals("JSON object keys are strings, found a number", e.getMessage());
    }

    @Test
    void cyclesHitTheDepthLimit() {
        List<Object> loop = new ArrayList<>();
        loop.add(loop);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(loop));
        assertEquals("nesting deeper than 256 levels (a cycle?)", e.getMessage());
    }

    @Test
    void parsedValuesWriteBackExactly() {
        String[] texts = {
            "{\"n\":null,\"big\":18446744073709551615,\"neg\":-9223372036854775809,\"min\":-9223372036854775808}",
            "[0.1,0.5,-0.0,1.0E-5,1.5E300,1E+400,1E-400,0.30000000000000000001]",
            "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\u00e9\"",
            "[[],{},[{}],{\"\":\"\"}]",
            "true",
        };
        for (String text : texts) {
            assertEquals(text, Json.write(Json.parse(text)));
        }
    }

    @Test
    void writtenNumbersParseToTheSameValue() {
        String[] texts = {"1e2", "2.50", "1E+2", "123456789012345678901234567890.5", "-1.5e-7", "6.02214076e23"};
        for (String text : texts) {
            Object parsed = Json.parse(text);
            Object reparsed = Json.parse(Json.write(parsed));
            assertEquals(0, new BigDecimal(text).compareTo(new BigDecimal(Json.write(reparsed))), text);
            assertEquals(parsed, reparsed, text);
        }
    }

    @Test
    void escapedInputWritesBackInCanonicalForm() {
        assertEquals("\"A/\u00e9\"", Json.write(Json.parse("\"\\u0041\\/\\u00e9\"")));
    }
}
