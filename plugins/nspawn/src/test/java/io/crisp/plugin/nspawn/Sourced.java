package io.crisp.plugin.nspawn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Sources a launch file with the real bash, as nspawn-oci does, and reads variables back. */
final class Sourced {
    private Sourced() {}

    /** Each expression ({@code NAME}, {@code NAME[1]}, {@code #NAME[@]}) as bash expands {@code ${EXPR}}. */
    static Map<String, String> vars(String launch, String... expressions) throws IOException, InterruptedException {
        Path file = Files.createTempFile("launch-", ".sh");
        try {
            Files.writeString(file, launch);
            StringBuilder script = new StringBuilder("set -u; source \"$1\" || exit 9\n");
            for (String e : expressions) {
                script.append("printf '%s\\0' \"${").append(e).append("}\"\n");
            }
            Process p = new ProcessBuilder("bash", "-c", script.toString(), "bash", file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
            assertEquals(0, p.exitValue(), "bash could not source the launch file:\n" + launch);
            String[] values = new String(out, StandardCharsets.UTF_8).split("\0", -1);
            Map<String, String> vars = new LinkedHashMap<>();
            for (int i = 0; i < expressions.length; i++) {
                vars.put(expressions[i], values[i]);
            }
            return vars;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
