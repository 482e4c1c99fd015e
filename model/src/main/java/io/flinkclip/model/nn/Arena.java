package io.flinkclip.model.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * The activation memory of one forward call. Layers ask it for their buffers instead of allocating, so the
 * memory a call needs is visible in one place ({@link #floats()}) and stays bounded: a tower takes its scratch
 * buffers once and reuses them across all of its blocks. Buffers from {@link #take} come zero-filled (backward
 * passes rely on it); the inference ResNet recycles dead maps through {@link #release} / {@link #takeDirty}.
 */
public final class Arena {
    private long floats;
    private final List<float[]> free = new ArrayList<>();

    public float[] take(int n) {
        if (n < 0) throw new IllegalArgumentException("negative buffer size " + n);
        floats += n;
        return new float[n];
    }

    /** A buffer from this arena holding a copy of {@code src} (activations a backward pass keeps). */
    float[] copyOf(float[] src) {
        float[] c = take(src.length);
        System.arraycopy(src, 0, c, 0, src.length);
        return c;
    }

    /**
     * A buffer of at least {@code n} floats with unspecified contents, for outputs the caller overwrites
     * entirely: the smallest released buffer that fits, else a new one.
     */
    float[] takeDirty(int n) {
        int best = -1;
        for (int i = 0; i < free.size(); i++) {
            if (free.get(i).length >= n && (best < 0 || free.get(i).length < free.get(best).length)) best = i;
        }
        return best >= 0 ? free.remove(best) : take(n);
    }

    /** Hands back a buffer no live activation refers to any more, for reuse by {@link #takeDirty}. */
    void release(float[] buffer) {
        if (buffer != null) free.add(buffer);
    }

    /** Total floats handed out by this arena. */
    public long floats() { return floats; }
}
