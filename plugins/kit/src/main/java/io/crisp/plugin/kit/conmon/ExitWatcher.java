package io.crisp.plugin.kit.conmon;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inotify watch (a JDK WatchService) on conmon's exit directory for all containers: conmon
 * writes {@code EXITDIR/ID} when a container's init exits. No per-container thread, no polling.
 */
final class ExitWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExitWatcher.class);

    /** Told about every name created or changed in the exit directory, on the watcher's thread. */
    interface Listener {
        void exitFileChanged(String name);

        /** Events were lost (queue overflow): look at every known container. */
        void rescan();
    }

    private final WatchService service;
    private volatile boolean closing;
    private final Thread thread;

    ExitWatcher(Path exitDir, String handlerName, Listener listener) throws IOException {
        this.service = exitDir.getFileSystem().newWatchService();
        exitDir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        this.thread = new Thread(() -> loop(listener), "conmon-exits-" + handlerName);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Listener listener) {
        while (true) {
            WatchKey key;
            try {
                key = service.take();
            } catch (ClosedWatchServiceException e) {
                return;
            } catch (InterruptedException e) {
                return;
            }
            for (WatchEvent<?> event : key.pollEvents()) {
                try {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        listener.rescan();
                    } else if (event.context() instanceof Path name) {
                        listener.exitFileChanged(name.toString());
                    }
                } catch (RuntimeException e) {
                    LOG.warn("exit watcher: handling {} failed", event.context(), e);
                }
            }
            if (!key.reset()) {
                // A key also goes invalid when close() ends the service while events were being handled
                // (a retired backend closing as its last pod goes): only a directory that vanished is news.
                if (!closing) {
                    LOG.warn("exit watcher: the exit directory went away; exits are now only seen on request");
                }
                return;
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        try {
            service.close();
        } catch (IOException e) {
            LOG.debug("exit watcher: close failed", e);
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
