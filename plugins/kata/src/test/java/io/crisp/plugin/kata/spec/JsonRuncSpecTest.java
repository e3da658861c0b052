package io.crisp.plugin.kata.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips the config.json that {@code runc spec} generates, a real OCI runtime spec. */
final class JsonRuncSpecTest {
    @TempDir
    Path bundle;

    @Test
    void runcSpecWritesBackAsItsCompactForm() throws Exception {
        String text = Files.readString(RuncSpec.generate(bundle));
        Map<String, Object> spec = Json.parseObject(text);

        assertEquals(compact(text), Json.write(spec));
        assertEquals(spec, Json.parseObject(Json.write(spec)));
    }

    @Test
    void runcSpecParsesToTheExpectedTree() throws Exception {
        Map<String, Object> spec = Json.parseObject(Files.readString(RuncSpec.generate(bundle)));

        assertEquals("ociVersion", spec.keySet().iterator().next());
        Map<?, ?> process = (Map<?, ?>) spec.get("process");
        assertEquals(List.of("sh"), process.get("args"));
        assertEquals(0L, ((Map<?, ?>) process.get("user")).get("uid"));
        Map<?, ?> linux = (Map<?, ?>) spec.get("linux");
        List<?> devices = (List<?>) ((Map<?, ?>) linux.get("resources")).get("devices");
        assertEquals(Map.of("allow", false, "access", "rwm"), devices.get(0));
        List<?> rlimits = (List<?>) process.get("rlimits");
        assertInstanceOf(Long.class, ((Map<?, ?>) rlimits.get(0)).get("hard"));
        assertTrue(((List<?>) linux.get("maskedPaths")).contains("/proc/kcore"));
    }

    /** The text without whitespace outside strings: what a compact writer must produce. */
    static String compact(String json) {
        StringBuilder out = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\') {
                    out.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                out.append(c);
            }
        }
        return out.toString();
    }

    @Test
    void compactHelperKeepsStringsIntact() {
        assertEquals("{\"a b\":\"c\\\" d\"}", compact("{ \"a b\" : \"c\\\" d\" }\n"));
    }

    /** Runs {@code runc spec}, which writes runc's default config.json into a bundle directory. */
    static final class RuncSpec {
        private RuncSpec() {
        }

        static Path generate(Path bundle) throws IOException, InterruptedException {
            Process runc = new ProcessBuilder("runc", "spec", "--bundle", bundle.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(runc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, runc.waitFor(), "runc spec failed: " + output);
            return bundle.resolve("config.json");
        }
    }
}
