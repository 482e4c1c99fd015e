package io.flinkclip.model.nn;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time per named layer of the inference forward, for comparing against another engine's per-node profile
 * (ONNX Runtime's, say): off unless {@link #enable}d, and then only summed per name (linear layers, convolutions,
 * LayerNorms, attention, the attention pool). The layers time themselves on the calling thread around calls that are
 * parallel inside, so a figure is the layer's wall time, not CPU time. Off, a layer pays one static field read.
 */
public final class LayerTimes {
    private static volatile boolean enabled;
    private static final Map<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();

    private LayerTimes() {}

    public static void enable(boolean on) { enabled = on; }

    public static void reset() { TIMES.clear(); }

    /** The start stamp of a timed call, or 0 when timing is off. */
    static long start() { return enabled ? System.nanoTime() : 0L; }

    /** Adds the time since {@code t0} (from {@link #start}) to {@code name}; nothing when t0 is 0. */
    static void stop(String name, long t0) {
        if (t0 == 0L) return;
        long dt = System.nanoTime() - t0;
        LongAdder[] a = TIMES.computeIfAbsent(name, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        a[0].increment();
        a[1].add(dt);
    }

    /** Name → {calls, total nanoseconds} since the last {@link #reset}, sorted by name. */
    public static Map<String, long[]> snapshot() {
        Map<String, long[]> out = new TreeMap<>();
        TIMES.forEach((k, v) -> out.put(k, new long[] {v[0].sum(), v[1].sum()}));
        return out;
    }
}
