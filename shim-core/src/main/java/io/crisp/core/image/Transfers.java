package io.crisp.core.image;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pulls and imports running now and how far each has come, counted where the bytes really
 * pass (the registry's response body, the archive's file): what the admin API's ListTransfers
 * reports and the CLI shows as progress.
 */
public final class Transfers {
    private final Map<Long, Transfer> running = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** One pull or import. */
    public static final class Transfer {
        private final String kind;
        private final String name;
        private final long startedMillis = System.currentTimeMillis();
        private final AtomicLong bytesDone;
        private volatile long bytesTotal = -1;
        private final AtomicInteger layersDone = new AtomicInteger();
        private volatile int layersTotal = -1;
        private volatile List<Layer> layers = List.of();

        Transfer(String kind, String name, AtomicLong bytesDone) {
            this.kind = kind;
            this.name = name;
            this.bytesDone = bytesDone;
        }

        /** What the transfer will amount to, once the manifest or the source says. */
        void expect(long bytes, int layers) {
            bytesTotal = bytes;
            layersTotal = layers;
        }

        void layerDone() {
            layersDone.incrementAndGet();
        }

        /** A pull's layers, once its manifest is read; each starts {@link Layer.State#WAITING}. */
        void layers(List<io.crisp.core.image.registry.Descriptor> descriptors) {
            layers = descriptors.stream().map(d -> new Layer(d.digest(), d.size())).toList();
        }

        /** The layer at {@code index} of {@link #layers(List)}. */
        Layer layer(int index) {
            return layers.get(index);
        }

        /** The layers of a pull in the manifest's order; empty before the manifest and for an import. */
        public List<Layer> layers() {
            return layers;
        }

        /** Counts what is read through the result into this transfer's bytes. */
        InputStream counting(InputStream in) {
            return new io.crisp.core.image.store.CountingInputStream(in, bytesDone);
        }

        void addBytes(long n) {
            bytesDone.addAndGet(n);
        }

        public String kind() {
            return kind;
        }

        public String name() {
            return name;
        }

        public long startedMillis() {
            return startedMillis;
        }

        public long bytesDone() {
            return bytesDone.get();
        }

        public long bytesTotal() {
            return bytesTotal;
        }

        public int layersDone() {
            return layersDone.get();
        }

        public int layersTotal() {
            return layersTotal;
        }
    }

    /**
     * One layer of a pull: its own bytes (counted by the same reads as the pull's) and where it is.
     * Two volatile writes per state change and one counter per read: cheap enough for every pull.
     */
    public static final class Layer {
        /** Where a layer is. */
        public enum State {
            WAITING("waiting"), DOWNLOADING("downloading"), UNPACKING("unpacking"), DONE("done"), PRESENT("present");

            private final String text;

            State(String text) {
                this.text = text;
            }

            /** The word the admin API and the CLI show. */
            public String text() {
                return text;
            }
        }

        private final String digest;
        private final long bytesTotal;
        private final AtomicLong bytesDone = new AtomicLong();
        private volatile State state = State.WAITING;

        Layer(String digest, long bytesTotal) {
            this.digest = digest;
            this.bytesTotal = bytesTotal;
        }

        /** Counts this layer's bytes while it downloads. */
        AtomicLong counter() {
            return bytesDone;
        }

        void state(State next) {
            if (next == State.PRESENT) {
                bytesDone.set(Math.max(0, bytesTotal));
            }
            state = next;
        }

        public String digest() {
            return digest;
        }

        public long bytesDone() {
            return bytesDone.get();
        }

        /** The manifest's size; -1 when it gives none. */
        public long bytesTotal() {
            return bytesTotal;
        }

        public State state() {
            return state;
        }
    }

    /** A transfer that counts into {@code bytes} (shared with the registry client for a pull). */
    Transfer begin(String kind, String name, AtomicLong bytes) {
        Transfer transfer = new Transfer(kind, name, bytes);
        running.put(ids.incrementAndGet(), transfer);
        return transfer;
    }

    /** Ends a transfer: it is no longer listed. */
    void end(Transfer transfer) {
        running.values().remove(transfer);
    }

    public List<Transfer> list() {
        return List.copyOf(running.values());
    }
}
