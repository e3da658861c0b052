package io.crisp.core.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.os.UnixDatagram;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ServiceNotifierTest {
    @TempDir
    Path dir;

    @Test
    void messageIsOneLinePerFieldInOrder() {
        assertEquals("READY=1\nMAINPID=42\nSTATUS=serving on unix:///run/crisp/crisp.sock\n",
                ServiceNotifier.message(ServiceNotifier.fields("READY", "1", "MAINPID", "42", "STATUS", "serving on unix:///run/crisp/crisp.sock")));
    }

    @Test
    void newlinesInAValueCannotStartAnotherField() {
        assertEquals("STATUS=bad READY=1\n", ServiceNotifier.message(ServiceNotifier.fields("STATUS", "bad\nREADY=1")));
    }

    @Test
    void socketComesFromNotifySocketOrTheLaunchersName() {
        assertTrue(ServiceNotifier.fromEnvironment(Map.of()).isEmpty());
        assertTrue(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "")).isEmpty());
        assertEquals("@n", ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "@n")).orElseThrow().address());
        assertEquals("/run/n", ServiceNotifier.fromEnvironment(Map.of("CRISP_NOTIFY_SOCKET", "/run/n")).orElseThrow().address());
    }

    @Test
    void watchdogIntervalOnlyForThisProcess() {
        assertEquals(OptionalLong.of(60_000_000), SystemdService.watchdogMicros(Map.of("WATCHDOG_USEC", "60000000"), 7));
        assertEquals(OptionalLong.of(1_000_000), SystemdService.watchdogMicros(Map.of("WATCHDOG_USEC", "1000000", "WATCHDOG_PID", "7"), 7));
        assertTrue(SystemdService.watchdogMicros(Map.of("WATCHDOG_USEC", "1000000", "WATCHDOG_PID", "8"), 7).isEmpty());
        assertTrue(SystemdService.watchdogMicros(Map.of(), 7).isEmpty());
        assertTrue(SystemdService.watchdogMicros(Map.of("WATCHDOG_USEC", "0"), 7).isEmpty());
        assertTrue(SystemdService.watchdogMicros(Map.of("WATCHDOG_USEC", "soon"), 7).isEmpty());
    }

    @Test
    void sendReachesTheSocketAndAFailureDoesNotThrow() throws Exception {
        String address = dir.resolve("notify.sock").toString();
        try (UnixDatagram receiver = UnixDatagram.bind(address); ServiceNotifier notifier = new ServiceNotifier(address)) {
            notifier.send(ServiceNotifier.fields("STOPPING", "1"));
            assertEquals("STOPPING=1\n", new String(receiver.receive(Duration.ofSeconds(5)).orElseThrow(), StandardCharsets.UTF_8));
        }
        try (ServiceNotifier gone = new ServiceNotifier(address)) {
            gone.send(ServiceNotifier.fields("READY", "1")); // nobody listens: logged once, not thrown
            gone.send(ServiceNotifier.fields("READY", "1"));
        }
    }
}
