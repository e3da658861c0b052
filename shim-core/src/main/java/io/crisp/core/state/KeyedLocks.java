package io.crisp.core.state;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per object id, so calls for one pod or container run one at a time (the plugin contract
 * promises backends that) while calls for different objects run in parallel. Locks are dropped
 * when no caller holds or waits for them.
 */
public final class KeyedLocks {
    private final ConcurrentHashMap<String, Entry> locks = new ConcurrentHashMap<>();

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    public <T> T with(String id, Supplier<T> action) {
        Entry entry = locks.compute(id, (k, e) -> {
            Entry held = e == null ? new Entry() : e;
            held.users++;
            return held;
        });
        entry.lock.lock();
        try {
            return action.get();
        } finally {
            entry.lock.unlock();
            locks.computeIfPresent(id, (k, e) -> --e.users == 0 ? null : e);
        }
    }

    public void run(String id, Runnable action) {
        with(id, () -> {
            action.run();
            return null;
        });
    }
}
