package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class StripHostDevicesTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> linux(Map<String, Object> spec) {
        return (Map<String, Object>) spec.get("linux");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> deviceRules(Map<String, Object> spec) {
        return (List<Object>) ((Map<String, Object>) linux(spec).get("resources")).get("devices");
    }

    @Test
    void privilegedSpecLosesHostDevicesAndAllowAll() {
        Map<String, Object> spec = TestSpecs.privilegedContainer();
        assertTrue(OciSpecEdits.stripHostDevices(spec));

        assertEquals(List.of(), linux(spec).get("devices"));
        assertEquals(List.of(
                Map.of("allow", false, "access", "rwm"),
                Map.of("allow", true, "type", "c", "major", 1L, "minor", 3L, "access", "rwm"),
                Map.of("allow", false, "access", "rwm")),
                deviceRules(spec));
        String resources = Json.write(((Map<?, ?>) linux(spec).get("resources")));
        assertEquals("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                + "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
                + "{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":18446744073709551615}}", resources);
    }

    @Test
    void restOfThePrivilegedSpecIsUntouched() {
        Map<String, Object> spec = TestSpecs.privilegedContainer();
        OciSpecEdits.stripHostDevices(spec);
        Map<String, Object> before = TestSpecs.privilegedContainer();
        assertEquals(before.get("process"), spec.get("process"));
        assertEquals(before.get("annotations"), spec.get("annotations"));
        assertEquals(List.copyOf(before.keySet()), List.copyOf(spec.keySet()));
        assertEquals(List.copyOf(linux(before).keySet()), List.copyOf(linux(spec).keySet()));
    }

    @Test
    void secondCallFindsNothingToDo() {
        Map<String, Object> spec = TestSpecs.privilegedContainer();
        assertTrue(OciSpecEdits.stripHostDevices(spec));
        String once = Json.write(spec);
        assertFalse(OciSpecEdits.stripHostDevices(spec));
        assertEquals(once, Json.write(spec));
    }

    @Test
    void normalSpecIsLeftAlone() {
        Map<String, Object> spec = TestSpecs.normalContainer();
        String before = Json.write(spec);
        assertFalse(OciSpecEdits.stripHostDevices(spec));
        assertEquals(before, Json.write(spec));
        assertEquals(1, ((List<?>) linux(spec).get("devices")).size());
    }

    @Test
    void allowAllWithJsonNullFieldsCountsAsPrivileged() {
        Map<String, Object> spec = Json.parseObject("{\"linux\":{\"resources\":{\"devices\":"
                + "[{\"allow\":true,\"type\":null,\"major\":null,\"minor\":null,\"access\":\"rwm\"}]}}}");
        assertTrue(OciSpecEdits.stripHostDevices(spec));
        assertEquals("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}}}",
                Json.write(spec));
    }

    @Test
    void privilegedWithoutDeviceListGetsNoneAdded() {
        Map<String, Object> spec = Json.parseObject(
                "{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}}}");
        assertTrue(OciSpecEdits.stripHostDevices(spec));
        assertFalse(linux(spec).containsKey("devices"));
    }

    @Test
    void specsWithoutDeviceCgroupAreNotPrivileged() {
        for (String text : new String[] {"{}", "{\"linux\":{}}", "{\"linux\":{\"resources\":{}}}",
                "{\"linux\":{\"resources\":{\"devices\":null}}}"}) {
            Map<String, Object> spec = Json.parseObject(text);
            assertFalse(OciSpecEdits.stripHostDevices(spec), text);
            assertEquals(text, Json.write(spec));
        }
    }

    @Test
    void immutableInputListsAreReplacedNotMutated() {
        Map<String, Object> rule = Map.of("allow", true, "access", "rwm");
        Map<String, Object> resources = new LinkedHashMap<>(Map.of("devices", List.of(rule)));
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("devices", List.of(Map.of("path", "/dev/sda")));
        linux.put("resources", resources);
        Map<String, Object> spec = new LinkedHashMap<>(Map.of("linux", linux));

        assertTrue(OciSpecEdits.stripHostDevices(spec));
        assertEquals(List.of(), linux.get("devices"));
        assertEquals(List.of(Map.of("allow", false, "access", "rwm")), resources.get("devices"));
    }
}
