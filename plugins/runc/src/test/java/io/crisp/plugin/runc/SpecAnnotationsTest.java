package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The config.json annotations editor: exact output text for odd but valid inputs, refusals for the rest. */
final class SpecAnnotationsTest {
    private static final Map<String, String> PUT = Map.of("k", "v");

    private static String put(String json) {
        return SpecAnnotations.parse(json).with(PUT);
    }

    @Test
    void absentAnnotationsAreInsertedBeforeTheClosingBraceLeavingTheRestAsIs() {
        String json = "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\",\"-c\",\"echo }\"]}}";
        assertEquals(json.substring(0, json.length() - 1) + ",\"annotations\":{\"k\":\"v\"}}", put(json));
        assertEquals("{\"annotations\":{\"k\":\"v\"}}", put("{}"));
        assertEquals(" {\n  \"annotations\":{\"k\":\"v\"}} \n", put(" {\n  } \n"));
        assertEquals("{\n  \"a\": 1\n,\"annotations\":{\"k\":\"v\"}}\n", put("{\n  \"a\": 1\n}\n"));
    }

    @Test
    void onlyTheAnnotationsValueChangesInAPrettyPrintedSpec() {
        String before = "{\n  \"ociVersion\": \"1.0.2\",\n  \"annotations\": ";
        String after = ",\n  \"linux\": { \"resources\": { \"memory\": { \"limit\": 1.5e3 } }, \"x\": [ true, false, null, -0, 0.25 ] }\n}\n";
        String json = before + "{\n    \"a\": \"1\",\n    \"b\" : \"two\"\n  }" + after;
        assertEquals(before + "{\"a\":\"1\",\"b\":\"two\",\"k\":\"v\"}" + after, put(json));
    }

    @Test
    void escapedQuotesBracesAndNestedAnnotationsKeysDoNotConfuseIt() {
        // A nested "annotations" (not the top-level member) and strings full of JSON syntax.
        String json = "{\"process\":{\"annotations\":{\"k\":\"nested\"},\"args\":[\"a\\\"}],{\\\\\",\"\\u007b\"]},"
                + "\"annotations\":{\"say \\\"hi\\\"\":\"} \\\\\\\" {\",\"k\":\"old\",\"z\":\"\\u00e9\\n\"},\"root\":{}}";
        SpecAnnotations doc = SpecAnnotations.parse(json);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("say \"hi\"", "} \\\" {");
        expected.put("k", "old");
        expected.put("z", "\u00e9\n");
        assertEquals(expected, doc.strings());
        assertEquals("{\"process\":{\"annotations\":{\"k\":\"nested\"},\"args\":[\"a\\\"}],{\\\\\",\"\\u007b\"]},"
                + "\"annotations\":{\"say \\\"hi\\\"\":\"} \\\\\\\" {\",\"z\":\"\\u00e9\\n\",\"k\":\"v\"},\"root\":{}}", doc.with(PUT));
    }

    @Test
    void keysAreComparedDecodedAndEveryOccurrenceOfAReplacedKeyGoes() {
        String json = "{\"annotations\":{\"\\u006b\":\"1\",\"keep\":\"x\",\"k\":\"2\"}}";
        assertEquals(Map.of("k", "2", "keep", "x"), SpecAnnotations.parse(json).strings());
        assertEquals("{\"annotations\":{\"keep\":\"x\",\"k\":\"v\"}}", put(json));
    }

    @Test
    void nullAndEmptyAnnotationsBecomeTheNewObject() {
        assertEquals("{\"annotations\":{\"k\":\"v\"},\"a\":1}", put("{\"annotations\":null,\"a\":1}"));
        assertEquals("{\"annotations\" : {\"k\":\"v\"}}", put("{\"annotations\" : { }}"));
    }

    @Test
    void newValuesAreEscapedAndReadBackTheSame() {
        String odd = "q\"b\\s/\u0001\t\u2028\uD83D\uDE00";
        String out = SpecAnnotations.parse("{}").with(Map.of(odd, odd));
        assertEquals("{\"annotations\":{\"q\\\"b\\\\s/\\u0001\\u0009\u2028\uD83D\uDE00\":\"q\\\"b\\\\s/\\u0001\\u0009\u2028\uD83D\uDE00\"}}", out);
        assertEquals(Map.of(odd, odd), SpecAnnotations.parse(out).strings());
    }

    @Test
    void nonStringAnnotationValuesAreKeptButNotReadAsStrings() {
        String json = "{\"annotations\":{\"n\":5,\"o\":{\"p\":[1]}}}";
        assertEquals(Map.of(), SpecAnnotations.parse(json).strings());
        assertEquals("{\"annotations\":{\"n\":5,\"o\":{\"p\":[1]},\"k\":\"v\"}}", put(json));
    }

    @Test
    void malformedOrUnfitDocumentsAreRefused() {
        for (String bad : List.of("", "[]", "{", "{\"a\":1,}", "{\"a\":1}x", "{\"a\":1}{}", "{\"a\" 1}",
                "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":nul}",
                "{\"a\":\"x\ny\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":\"open}", "{'a':1}",
                "{\"a\":[1 2]}", "{\"annotations\":[]}", "{\"annotations\":\"x\"}",
                "{\"annotations\":{},\"annotations\":{}}", "{\"annotations\":{\"k\":\"v\",}}",
                "\uFEFF{}", "{\"a\":" + "[".repeat(300) + "]".repeat(300) + "}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> put(bad), bad);
            assertTrue(e.getMessage().startsWith("config.json is not a JSON object fit for annotations: "), e.getMessage());
        }
    }

    @Test
    void deepButReasonableNestingIsFine() {
        String deep = "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertEquals(deep.substring(0, deep.length() - 1) + ",\"annotations\":{\"k\":\"v\"}}", put(deep));
    }
}
