package io.crisp.core.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.stream.session.AttachTarget;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pump between a backend's session and a protocol's client, with both sides in memory. */
final class StdioPumpTest {
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    /** A process whose stdout is a pipe the test writes, whose stdin the test reads. */
    private static final class FakeProcess implements StdioSession {
        final PipedOutputStream stdoutWriter = new PipedOutputStream();
        final PipedInputStream stdout;
        final ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        final CountDownLatch stdinClosed = new CountDownLatch(1);
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        final List<String> sizes = new CopyOnWriteArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);

        FakeProcess() throws IOException {
            stdout = new PipedInputStream(stdoutWriter, 1 << 16);
        }

        @Override
        public Optional<OutputStream> stdin() {
            return Optional.of(new OutputStream() {
                @Override
                public void write(int b) {
                    stdin.write(b);
                }

                @Override
                public void close() {
                    stdinClosed.countDown();
                }
            });
        }

        @Override
        public Optional<InputStream> stdout() {
            return Optional.of(stdout);
        }

        @Override
        public Optional<InputStream> stderr() {
            return Optional.empty();
        }

        @Override
        public void resize(int width, int height) {
            sizes.add(width + "x" + height);
        }

        @Override
        public CompletableFuture<Integer> exit() {
            return exit;
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    private static final class RecordingClient implements StdioClient {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final AtomicReference<StdioOutcome> outcome = new AtomicReference<>();
        final CountDownLatch finished = new CountDownLatch(1);
        volatile String outputWhenFinished;

        @Override
        public synchronized void write(Output stream, byte[] data, int offset, int length) {
            stdout.write(data, offset, length);
        }

        @Override
        public void pauseInput(boolean paused) {
        }

        @Override
        public synchronized void finish(StdioOutcome result) {
            outputWhenFinished = stdout.toString(StandardCharsets.UTF_8);
            outcome.compareAndSet(null, result);
            finished.countDown();
        }
    }

    @Test
    void outputIsSentBeforeTheExitCode() throws Exception {
        FakeProcess process = new FakeProcess();
        RecordingClient client = new RecordingClient();
        CountDownLatch ended = new CountDownLatch(1);
        new StdioPump(new ExecTarget("c1", List.of("x"), new StdioWiring(true, true, false, false)), process, client, threads,
                ended::countDown).start();
        process.stdoutWriter.write("last words\n".getBytes(StandardCharsets.UTF_8));
        process.exit.complete(3); // exits before its output was read
        Thread.sleep(50);
        process.stdoutWriter.close();
        assertTrue(client.finished.await(10, TimeUnit.SECONDS));
        assertEquals("last words\n", client.outputWhenFinished);
        assertEquals(StdioOutcome.exited(3), client.outcome.get());
        assertTrue(ended.await(5, TimeUnit.SECONDS));
        assertTrue(process.closed.await(5, TimeUnit.SECONDS), "the session is released");
    }

    @Test
    void stdinReachesTheProcessInOrderThenEof() throws Exception {
        FakeProcess process = new FakeProcess();
        StdioPump pump = new StdioPump(new ExecTarget("c1", List.of("cat"), new StdioWiring(true, true, false, false)), process,
                new RecordingClient(), threads, () -> {});
        pump.start();
        for (int i = 0; i < 100; i++) {
            pump.stdin(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
        }
        pump.stdinClosed();
        assertTrue(process.stdinClosed.await(5, TimeUnit.SECONDS));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            expected.append("line ").append(i).append('\n');
        }
        assertArrayEquals(expected.toString().getBytes(StandardCharsets.UTF_8), process.stdin.toByteArray());
    }

    @Test
    void resizesEndAtTheLastSizeAndBadSizesAreIgnored() throws Exception {
        FakeProcess process = new FakeProcess();
        StdioPump pump = new StdioPump(new AttachTarget("c1", new StdioWiring(true, true, false, true)), process, new RecordingClient(),
                threads, () -> {});
        pump.start();
        pump.resize(0, 24);
        pump.resize(70000, 24);
        for (int w = 1; w <= 200; w++) {
            pump.resize(w, 50);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!process.sizes.contains("200x50") && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals("200x50", process.sizes.get(process.sizes.size() - 1));
        assertTrue(process.sizes.stream().noneMatch(s -> s.startsWith("0x") || s.startsWith("70000x")), process.sizes.toString());
    }

    @Test
    void aClientThatGoesAwayClosesTheSessionAndAnAttachEndsInSuccess() throws Exception {
        FakeProcess process = new FakeProcess();
        RecordingClient client = new RecordingClient();
        CountDownLatch ended = new CountDownLatch(1);
        StdioPump gone = new StdioPump(new ExecTarget("c1", List.of("sleep"), new StdioWiring(false, true, false, false)), process,
                client, threads, ended::countDown);
        gone.start();
        gone.clientGone();
        assertTrue(process.closed.await(5, TimeUnit.SECONDS), "an exec'd process must not outlive its client");
        assertTrue(ended.await(5, TimeUnit.SECONDS));

        FakeProcess container = new FakeProcess();
        RecordingClient attached = new RecordingClient();
        new StdioPump(new AttachTarget("c2", new StdioWiring(false, true, false, false)), container, attached, threads, () -> {}).start();
        container.stdoutWriter.close();
        container.exit.complete(-1);
        assertTrue(attached.finished.await(5, TimeUnit.SECONDS));
        assertEquals(StdioOutcome.success(), attached.outcome.get());
    }
}
