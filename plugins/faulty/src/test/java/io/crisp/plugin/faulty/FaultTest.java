package io.crisp.plugin.faulty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultTest {
    @TempDir
    Path dir;

    @Test
    void noFileOrEmptyIsOk() throws Exception {
        Path control = dir.resolve("control");
        assertEquals(Fault.OK, Fault.read(control));
        Files.writeString(control, "\n");
        assertFalse(Fault.read(control).appliesTo("runSandbox"));
    }

    @Test
    void aStarCoversEveryCallButCreateCapabilitiesAndClose() throws Exception {
        Path control = dir.resolve("control");
        Files.writeString(control, "throw\n");
        Fault f = Fault.read(control);
        assertTrue(f.appliesTo("runSandbox") && f.appliesTo("health"));
        assertFalse(f.appliesTo("create") || f.appliesTo("capabilities") || f.appliesTo("close"));
        Files.writeString(control, "sleep:250 runSandbox, create");
        f = Fault.read(control);
        assertEquals(250, f.amount());
        assertTrue(f.appliesTo("create") && f.appliesTo("runSandbox"));
        assertFalse(f.appliesTo("health"));
    }

    @Test
    void throwNullAndHangUntilSwitchedOff() throws Exception {
        Path control = dir.resolve("control");
        Files.writeString(control, "throw runSandbox");
        assertThrows(IllegalStateException.class, () -> FaultyBackend.apply(control, "runSandbox"));
        Files.writeString(control, "null runSandbox");
        assertTrue(FaultyBackend.apply(control, "runSandbox"));
        Files.writeString(control, "hang runSandbox");
        CompletableFuture<Boolean> hung = CompletableFuture.supplyAsync(() -> {
            try {
                return FaultyBackend.apply(control, "runSandbox");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300);
        assertFalse(hung.isDone(), "hang must block");
        Files.writeString(control, "ok");
        assertFalse(hung.get(5, TimeUnit.SECONDS));
    }
}
