package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class JsonParseTest {
    private static JsonException rejects(String text) {
        return assertThrows(JsonException.class, () -> Json.parse(text));
    }

    @Test
    void objectsKeepKeyOrderAndUseLinkedHashMap() {
        Map<String, Object> object = Json.parseObject("{\"z\":1,\"a\":2,\"m\":3}");
        assertInstanceOf(LinkedHashMap.class, object);
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(object.keySet()));
    }

    @Test
    void scalarsAndContainers() {
        Object value = Json.parse(" {\"s\":\"x\",\"t\":true,\"f\":false,\"n\":null,\"a\":[1,[],{}]} ");
        Map<?, ?> object = (Map<?, ?>) value;
        assertEquals("x", object.get("s"));
        assertEquals(Boolean.TRUE, object.get("t"));
        assertEquals(Boolean.FALSE, object.get("f"));
        assertSame(Json.NULL, object.get("n"));
        assertTrue(object.containsKey("n"));
        List<?> array = (List<?>) object.get("a");
        assertInstanceOf(ArrayList.class, array);
        assertEquals(List.of(1L, List.of(), Map.of()), array);
    }

    @Test
    void anyValueMayBeTheWholeText() {
        assertEquals("hi", Json.parse("\"hi\""));
        assertEquals(42L, Json.parse("\t42\r\n"));
        assertSame(Json.NULL, Json.parse("null"));
        assertEquals(List.of(), Json.parse("[ ]"));
    }

    @Test
    void integersStayExact() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-7L, Json.parse("-7"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigInteger("-9223372036854775809"), Json.parse("-9223372036854775809"));
        assertEquals(new BigInteger("18446744073709551615"), Json.parse("18446744073709551615"));
    }

    @Test
    void fractionsAreDoublesWhenTheDoubleIsExactElseBigDecimal() {
        assertEquals(0.5, Json.parse("0.5"));
        assertEquals(0.1, Json.parse("0.1"));
        assertEquals(100.0, Json.parse("1E2"));
        assertEquals(-2.5e-3, Json.parse("-2.5e-3"));
        assertEquals(1.0, Json.parse("1.0"));
        assertEquals(new BigDecimal("0.30000000000000000001"), Json.parse("0.30000000000000000001"));
        assertEquals(new BigDecimal("1e400"), Json.parse("1e400"));
        assertEquals(new BigDecimal("1e-400"), Json.parse("1e-400"));
    }

    @Test
    void stringEscapes() {
        assertEquals("\" \\ / \b \f \n \r \t", Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
        assertEquals("A\u00e9\u4e2d", Json.parse("\"\\u0041\\u00E9\\u4e2d\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        assertEquals("caf\u00e9 \u4e2d", Json.parse("\"caf\u00e9 \u4e2d\""));
    }

    @Test
    void surrogatePairs() {
        String grinning = new String(Character.toChars(0x1F600));
        assertEquals(grinning, Json.parse("\"\\uD83D\\uDE00\""));
        assertEquals("x" + grinning + "y", Json.parse("\"x" + grinning + "y\""));
    }

    @Test
    void unpairedSurrogatesAreRefused() {
        assertTrue(rejects("\"\\uD83D\"").getMessage().contains("unpaired surrogate U+D83D"));
        rejects("\"\\uD83Dx\"");
        rejects("\"\\uD83D\\u0041\"");
        rejects("\"\\uDE00\"");
        rejects("\"\uD83D\"");
        rejects("\"\uDE00\"");
    }

    @Test
    void badEscapes() {
        assertEquals("offset 3: invalid escape '\\x'", rejects("\"ab\\x\"").getMessage());
        assertEquals(3, rejects("\"ab\\u12g4\"").offset());
        rejects("\"\\u12\"");
        rejects("\"\\u\uFF10\uFF10\uFF10\uFF10\"");
        rejects("\"\\");
        assertEquals("offset 1: invalid escape: backslash before U+000A", rejects("\"\\\n\"").getMessage());
    }

    @Test
    void rawControlCharactersInStringsAreRefused() {
        JsonException e = rejects("\"a\nb\"");
        assertEquals("offset 2: control character U+000A in a string must be escaped", e.getMessage());
        assertEquals(2, e.offset());
        rejects("\"\u0000\"");
        assertEquals("\u007f", Json.parse("\"\u007f\""));
    }

    @Test
    void errorsNameTheOffset() {
        assertEquals("offset 0: unexpected end of input, expected a value", rejects("").getMessage());
        assertEquals("offset 3: unexpected end of input, expected a value", rejects("   ").getMessage());
        assertEquals("offset 6: unexpected end of input, expected ',' or '}' in an object",
                rejects("{\"a\":1").getMessage());
        assertEquals("offset 7: unexpected '}', expected a string key", rejects("{\"a\":1,}").getMessage());
        assertEquals("offset 3: unexpected ']', expected a value", rejects("[1,]").getMessage());
        assertEquals("offset 5: unexpected '1', expected ':' after the key", rejects("{\"a\" 1}").getMessage());
        assertEquals("offset 1: unexpected 'a', expected a string key", rejects("{a:1}").getMessage());
        assertEquals("offset 3: unexpected '2', expected ',' or ']' in an array", rejects("[1 2]").getMessage());
        assertEquals("offset 5: unexpected end of input, expected ',' or ']' in an array", rejects("[1,23").getMessage());
        assertEquals("offset 0: unterminated string", rejects("\"abc").getMessage());
        assertEquals("offset 3: unexpected 'x' after the JSON value", rejects("{} x").getMessage());
        assertEquals("offset 2: unexpected '{' after the JSON value", rejects("{}{}").getMessage());
        assertEquals("offset 0: unexpected 'N', expected a value", rejects("NaN").getMessage());
        assertEquals("offset 0: unexpected U+FEFF, expected a value", rejects("\uFEFF{}").getMessage());
    }

    @Test
    void literalsMustBeSpelledExactly() {
        rejects("tru");
        rejects("True");
        rejects("nul");
        assertEquals("offset 4: unexpected 'x' after the JSON value", rejects("truex").getMessage());
    }

    @Test
    void numberGrammarIsStrict() {
        assertEquals("offset 0: leading zeros are not allowed in a number", rejects("01").getMessage());
        assertEquals("offset 0: leading zeros are not allowed in a number", rejects("-00").getMessage());
        assertEquals("offset 1: unexpected end of input, expected a digit", rejects("-").getMessage());
        assertEquals("offset 2: unexpected end of input, expected a digit after '.'", rejects("1.").getMessage());
        assertEquals("offset 2: unexpected end of input, expected a digit in the exponent", rejects("1e").getMessage());
        assertEquals("offset 3: unexpected end of input, expected a digit in the exponent", rejects("1e+").getMessage());
        rejects("+1");
        rejects(".5");
        rejects("0x10");
        rejects("Infinity");
        rejects("-Infinity");
    }

    @Test
    void exponentsBeyondBigDecimalAreRefusedCleanly() {
        JsonException e = rejects("[1e99999999999]");
        assertEquals("offset 1: number out of range: 1e99999999999", e.getMessage());
    }

    @Test
    void onlyJsonWhitespaceIsSkipped() {
        assertEquals(1L, Json.parse(" \t\r\n1 \t\r\n"));
        rejects("\u000b1");
        rejects("1\u00a0");
    }

    @Test
    void duplicateKeysAreRefused() {
        JsonException e = rejects("{\"a\":1,\"b\":2,\"a\":3}");
        assertEquals("offset 13: duplicate key \"a\"", e.getMessage());
        assertEquals(13, e.offset());
        rejects("{\"a\":1,\"\\u0061\":2}");
    }

    @Test
    void parseObjectRequiresAnObject() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
        assertEquals("offset 0: expected a JSON object, found an array", e.getMessage());
        assertThrows(JsonException.class, () -> Json.parseObject("null"));
    }

    @Test
    void nestingUpToTheLimitIsAccepted() {
        String deep = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Object value = Json.parse(deep);
        for (int i = 1; i < Json.MAX_DEPTH; i++) {
            value = ((List<?>) value).get(0);
        }
        assertEquals(List.of(), value);
    }

    @Test
    void nestingBeyondTheLimitIsRefusedAtTheOffendingBracket() {
        JsonException e = rejects("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1));
        assertEquals("offset 256: nesting deeper than 256 levels", e.getMessage());
        rejects("{\"a\":".repeat(Json.MAX_DEPTH + 1) + "1" + "}".repeat(Json.MAX_DEPTH + 1));
    }

    @Test
    void hostileDepthFailsWithoutStackOverflow() {
        rejects("[".repeat(1_000_000));
        rejects("{\"a\":[".repeat(500_000));
    }
}
