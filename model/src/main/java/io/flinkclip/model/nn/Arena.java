package io.flinkclip.model.nn;

/**
 * The activation memory of one forward call. Layers ask it for their buffers instead of allocating, so the
 * memory a call needs is visible in one place ({@link #floats()}) and stays bounded: a tower takes its scratch
 * buffers once and reuses them across all of its blocks. Buffers come zero-filled (backward passes rely on it).
 */
public final class Arena {
    private long floats;

    public float[] take(int n) {
        if (n < 0) throw new IllegalArgumentException("negative buffer size " + n);
        floats += n;
        return new float[n];
    }

    /** Total floats handed out by this arena. */
    public long floats() { return floats; }
}
