package io.flinkclip.kernels;

/**
 * Grow-only per-thread float buffers, so hot kernels do not allocate per call. Each slot is owned by one
 * kernel (packed A, packed B, im2col, ...) so nested use on one thread never aliases.
 */
final class Scratch {
    static final int PACK_A = 0, PACK_B = 1, IM2COL = 2, ATTN = 3, CONV_OUT = 4, C_BLOCK = 5, CONV_PAD = 6, SLOTS = 7;
    /** Buffers above this size are not kept after the call (avoids pinning huge arrays to a thread). */
    private static final int KEEP_LIMIT = 8 << 20;
    private static final ThreadLocal<float[][]> BUFS = ThreadLocal.withInitial(() -> new float[SLOTS][]);

    private Scratch() {}

    /** A buffer of at least {@code size} floats with unspecified contents. */
    static float[] get(int slot, int size) {
        float[][] b = BUFS.get();
        float[] cur = b[slot];
        if (cur != null && cur.length >= size) return cur;
        float[] fresh = new float[size];
        if (size <= KEEP_LIMIT) b[slot] = fresh;
        return fresh;
    }
}
