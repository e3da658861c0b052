package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.state.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launcher's class-data-sharing archive on a copy of the build output: recorded on the first
 * run with the JVM build it was recorded by beside it, mapped by the next runs ({@code -Xshare:on}
 * makes the JVM fail rather than run without it), and recorded again when the JVM is another one
 * (a JDK update), which the JVM itself would only answer by ignoring the archive, silently.
 */
class LauncherArchiveIT {
    private Path home;

    @BeforeEach
    void copyInstallation() throws IOException {
        home = Files.createTempDirectory("crisp-launcher-home-");
        for (String dir : List.of("lib", "plugins")) {
            Files.createDirectories(home.resolve(dir));
            try (Stream<Path> files = Files.list(Crisp.HOME.resolve(dir))) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".jar")).toList()) {
                    // The times go along: the launcher compares them with the archive's.
                    Files.copy(f, home.resolve(dir).resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @AfterEach
    void removeCopy() throws IOException {
        FileTrees.delete(home);
    }

    @Test
    void theArchiveIsRecordedForTheJvmThatRunsAndAgainWhenTheJvmChanges() throws Exception {
        Path jsa = home.resolve("lib/crisp.jsa");
        Path recordedBy = home.resolve("lib/crisp.jsa.jvm");

        assertVersion(launch(Map.of()));
        assertTrue(Files.size(jsa) > 1_000_000, "no archive recorded: " + Files.size(jsa) + " bytes");
        String jvm = Files.readString(recordedBy, StandardCharsets.UTF_8);
        assertTrue(jvm.contains("/lib/modules ") && jvm.contains("/lib/server/libjvm.so "), jvm);
        assertVersion(launch(Map.of("CRISP_JAVA_EXTRA_OPTS", "-Xshare:on")));

        // As after a JDK update: the archive is of another JVM build.
        Files.writeString(recordedBy, "/usr/lib/jvm/an-older-build/bin/java 1 1\n");
        Object before = Files.readAttributes(jsa, BasicFileAttributes.class).fileKey();
        assertVersion(launch(Map.of("CRISP_JAVA_EXTRA_OPTS", "-Xshare:on")));
        assertNotEquals(before, Files.readAttributes(jsa, BasicFileAttributes.class).fileKey(), "the archive was not recorded again");
        assertEquals(jvm, Files.readString(recordedBy, StandardCharsets.UTF_8));
        try (Stream<Path> left = Files.list(home.resolve("lib"))) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp")).toList());
        }
    }

    private static void assertVersion(String output) {
        assertTrue(output.contains("crisp " + Crisp.VERSION), output);
    }

    /**
     * {@code crisp version} from the copy; a recording takes some seconds, on a loaded machine more.
     * It exits 0 without a daemon too; a JVM refusing the archive under -Xshare:on exits 1.
     */
    private String launch(Map<String, String> environment) {
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("CRISP_HOME", home.toString());
        Crisp.Run run = Crisp.run(List.of("version"), env, Duration.ofMinutes(5));
        assertEquals(0, run.exitCode(), run.all());
        return run.all();
    }
}
