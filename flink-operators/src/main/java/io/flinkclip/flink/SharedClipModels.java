package io.flinkclip.flink;

import io.flinkclip.model.Clip;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One loaded model per location per JVM (i.e. per TaskManager and user-code class loader), shared by all
 * operator instances and SQL functions running there. Reference counted: the model is dropped when the last
 * holder closes its lease, so a finished job or a model switch frees the memory.
 */
public final class SharedClipModels {
    private static final Map<String, Entry> MODELS = new HashMap<>();

    private SharedClipModels() {}

    private static final class Entry {
        final Clip clip;
        int refs;

        Entry(Clip clip) { this.clip = clip; }
    }

    /** A handle on a shared model; {@link #close()} releases it (idempotent). */
    public static final class Lease implements AutoCloseable {
        private final String location;
        private final Clip clip;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Lease(String location, Clip clip) {
            this.location = location;
            this.clip = clip;
        }

        public Clip clip() {
            if (closed.get()) throw new IllegalStateException("lease on model '" + location + "' already released");
            return clip;
        }

        public String location() { return location; }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) release(location);
        }
    }

    /**
     * Loads the model on first use. Loading happens under the registry lock so that concurrent first users
     * of the same location load it once; different locations are rare enough for this not to matter.
     */
    public static synchronized Lease acquire(String location) {
        Entry e = MODELS.get(location);
        if (e == null) {
            e = new Entry(ClipModelLoader.load(location));
            MODELS.put(location, e);
        }
        e.refs++;
        return new Lease(location, e.clip);
    }

    private static synchronized void release(String location) {
        Entry e = MODELS.get(location);
        if (e != null && --e.refs <= 0) MODELS.remove(location);
    }

    /** Current number of holders of a location (0 when not loaded); for tests and monitoring. */
    public static synchronized int references(String location) {
        Entry e = MODELS.get(location);
        return e == null ? 0 : e.refs;
    }
}
