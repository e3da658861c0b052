package io.crisp.core.network;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs namespace work on a fresh thread that ends afterwards: network, IPC and UTS namespaces belong
 * to a thread, so a thread that unshares them and bind-mounts its {@code /proc/thread-self/ns/*}
 * pins new namespaces without starting a process, and the daemon's other threads stay where they are.
 */
final class NamespaceThreads {
    private NamespaceThreads() {}

    /** The work; it may change the namespaces of the thread it runs on. */
    interface Work {
        void run() throws Exception;
    }

    /** A libc call that fails with errno. */
    interface Call {
        int run() throws LastErrorException;
    }

    /**
     * Runs {@code work} on a new thread named {@code name} and waits for it (also when interrupted,
     * since the thread's work must not outlive the caller's view of it).
     *
     * @throws Exception what the work threw
     */
    static void run(String name, Work work) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                work.run();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, name);
        thread.start();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    /** Runs a libc call; its errno becomes an IOException naming {@code what}. */
    static int call(String what, Call call) throws IOException {
        try {
            return call.run();
        } catch (LastErrorException e) {
            throw new IOException(what + " failed: " + e.getMessage(), e);
        }
    }
}
