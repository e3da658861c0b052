package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.crisp.core.os.UnixDatagram;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.VersionRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sd_notify protocol against a datagram socket this test binds, as systemd would for a
 * {@code Type=notify} unit: READY only once the CRI socket answers, STATUS lines, RELOADING then
 * READY on {@code crisp reload}, STOPPING on SIGTERM, WATCHDOG pings only when asked for.
 */
final class SystemdNotifyIT {
    @TempDir
    Path dir;

    /** One datagram as it arrived; {@code versionAnswered} is a Version call made right after a READY. */
    record Message(long atNanos, String text, boolean versionAnswered) {
        boolean has(String field) {
            return text.lines().anyMatch(field::equals);
        }

        Optional<String> value(String key) {
            return text.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst();
        }
    }

    /** Receives on {@code address} on a thread of its own until closed. */
    static final class Listener implements AutoCloseable {
        private final UnixDatagram socket;
        private final List<Message> messages = new ArrayList<>();
        private final Thread thread;
        private volatile boolean closed;

        Listener(String address, Path criSocket) throws IOException {
            socket = UnixDatagram.bind(address);
            // Warm up gRPC and Netty now (the daemon is not running: the call fails), so that the
            // call made on READY answers at once or fails at once, with no class loading in between.
            if (versionAnswers(criSocket)) {
                throw new IllegalStateException("a daemon already answers on " + criSocket);
            }
            thread = new Thread(() -> {
                while (!closed) {
                    try {
                        Optional<byte[]> got = socket.receive(Duration.ofMillis(100));
                        if (got.isPresent()) {
                            long at = System.nanoTime();
                            String text = new String(got.get(), StandardCharsets.UTF_8);
                            boolean answered = false;
                            if (text.lines().anyMatch("READY=1"::equals)) {
                                answered = versionAnswers(criSocket);
                            }
                            synchronized (messages) {
                                messages.add(new Message(at, text, answered));
                            }
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "notify-listener");
            thread.start();
        }

        /** A fresh channel each time: a channel that failed before waits out a reconnect backoff. */
        private static boolean versionAnswers(Path criSocket) {
            try (CriClient cri = CriClient.connect(criSocket, Duration.ofSeconds(2))) {
                // No wait-for-ready: the socket must answer now, not eventually.
                cri.runtime().withDeadlineAfter(1, TimeUnit.SECONDS).version(VersionRequest.getDefaultInstance());
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }

        List<Message> messages() {
            synchronized (messages) {
                return List.copyOf(messages);
            }
        }

        Message await(Predicate<Message> wanted, Duration timeout, String what, DaemonProcess daemon) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Optional<Message> found = messages().stream().filter(wanted).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
                DaemonProcess.sleep(20);
            }
            fail("no " + what + " within " + timeout + "; got " + messages() + "\n" + daemon.logs());
            return null;
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join(5000);
            socket.close();
        }
    }

    private static List<String> args(DaemonProcess daemon, String... first) {
        List<String> args = new ArrayList<>(List.of(first));
        args.addAll(daemon.flags());
        return args;
    }

    @Test
    void readyOnlyWhenTheSocketAnswersThenReloadingReadyAndStopping() throws Exception {
        String address = dir.resolve("notify.sock").toString();
        DaemonProcess daemon = new DaemonProcess(dir);
        try (Listener listener = new Listener(address, daemon.socket); daemon) {
            daemon.withEnv("NOTIFY_SOCKET", address).start();
            Message ready = listener.await(m -> m.has("READY=1"), Duration.ofSeconds(30), "READY=1", daemon);
            assertTrue(ready.versionAnswered(), "the CRI socket must answer Version right after READY=1: " + listener.messages());
            assertEquals(Optional.of(Long.toString(daemon.pid())), ready.value("MAINPID"));
            // The JVM (and so runc, conmon and hooks it starts) does not carry NOTIFY_SOCKET itself.
            List<String> environ = List.of(java.nio.file.Files.readString(Path.of("/proc", Long.toString(daemon.pid()), "environ")).split("\0"));
            assertFalse(environ.stream().anyMatch(v -> v.startsWith("NOTIFY_SOCKET=")), environ.toString());
            assertTrue(environ.contains("CRISP_NOTIFY_SOCKET=" + address), environ.toString());
            String status = ready.value("STATUS").orElseThrow();
            assertTrue(status.startsWith("serving on unix://" + daemon.socket + "; handlers: runc ready"), status);
            List<Message> before = listener.messages().subList(0, listener.messages().indexOf(ready));
            assertFalse(before.isEmpty(), "a STATUS names what the daemon is doing before it is ready");
            assertTrue(before.stream().allMatch(m -> m.value("STATUS").orElse("").startsWith("starting")), before.toString());

            int seen = listener.messages().size();
            Crisp.Run reload = Crisp.run(args(daemon, "reload"));
            assertEquals(0, reload.exitCode(), reload.all() + daemon.logs());
            Message reloading = listener.await(m -> m.has("RELOADING=1"), Duration.ofSeconds(10), "RELOADING=1", daemon);
            assertTrue(reloading.value("MONOTONIC_USEC").isPresent(), reloading.text());
            Message readyAgain = listener.await(m -> m.has("READY=1") && m.atNanos() >= reloading.atNanos() && m != ready,
                    Duration.ofSeconds(10), "READY=1 after RELOADING=1", daemon);
            assertTrue(listener.messages().indexOf(readyAgain) > listener.messages().indexOf(reloading));
            assertTrue(listener.messages().indexOf(reloading) >= seen);
            assertTrue(readyAgain.value("STATUS").orElse("").startsWith("serving on"), readyAgain.text());

            // A refused reload (SIGHUP, as systemctl reload sends) still ends with READY=1, and STATUS says so.
            daemon.writeDropIn("70-bad.toml", "[runtimes.runc]\nplugin = \"runc\"\n[runtimes.vm]\nplugin = \"kata\"\n");
            daemon.signal("HUP");
            Message refused = listener.await(m -> m.has("READY=1") && m.atNanos() > readyAgain.atNanos(), Duration.ofSeconds(10),
                    "READY=1 after a refused reload", daemon);
            assertTrue(refused.value("STATUS").orElse("").startsWith("reload refused, previous configuration stays: "), refused.text());
            assertTrue(refused.value("STATUS").orElse("").contains("handlers: runc ready"), refused.text());
            assertEquals(2, listener.messages().stream().filter(m -> m.has("RELOADING=1")).count(), listener.messages().toString());

            daemon.signal("TERM");
            assertEquals(0, daemon.waitForExit(Duration.ofSeconds(20)), daemon.logs());
            Message stopping = listener.await(m -> m.has("STOPPING=1"), Duration.ofSeconds(5), "STOPPING=1", daemon);
            assertTrue(stopping.atNanos() > refused.atNanos());
            // No watchdog was asked for: no pings over the whole run.
            assertTrue(listener.messages().stream().noneMatch(m -> m.has("WATCHDOG=1")), listener.messages().toString());
        }
    }

    @Test
    void watchdogPingsAtHalfTheIntervalOnAnAbstractSocket() throws Exception {
        String address = "@crisp-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        DaemonProcess daemon = new DaemonProcess(dir);
        try (Listener listener = new Listener(address, daemon.socket); daemon) {
            daemon.withEnv("NOTIFY_SOCKET", address).withEnv("WATCHDOG_USEC", "1000000").start();
            Message ready = listener.await(m -> m.has("READY=1"), Duration.ofSeconds(30), "READY=1", daemon);
            DaemonProcess.sleep(3200);
            List<Long> pings = listener.messages().stream().filter(m -> m.has("WATCHDOG=1")).map(Message::atNanos).toList();
            assertTrue(pings.size() >= 4 && pings.size() <= 8, "about 6 pings in 3.2 s at 0.5 s: " + pings.size() + "\n" + daemon.logs());
            assertTrue(pings.get(0) > ready.atNanos(), "pings start after READY");
            double meanGapMillis = (pings.get(pings.size() - 1) - pings.get(0)) / 1e6 / (pings.size() - 1);
            assertTrue(meanGapMillis > 350 && meanGapMillis < 800, "mean gap " + meanGapMillis + " ms");
        }
    }

    @Test
    void noWatchdogPingsWhenTheWatchdogBelongsToAnotherProcess() throws Exception {
        String address = dir.resolve("notify.sock").toString();
        DaemonProcess daemon = new DaemonProcess(dir);
        try (Listener listener = new Listener(address, daemon.socket); daemon) {
            daemon.withEnv("NOTIFY_SOCKET", address).withEnv("WATCHDOG_USEC", "1000000").withEnv("WATCHDOG_PID", "1").start();
            listener.await(m -> m.has("READY=1"), Duration.ofSeconds(30), "READY=1", daemon);
            DaemonProcess.sleep(1500);
            assertTrue(listener.messages().stream().noneMatch(m -> m.has("WATCHDOG=1")), listener.messages().toString());
        }
    }
}
