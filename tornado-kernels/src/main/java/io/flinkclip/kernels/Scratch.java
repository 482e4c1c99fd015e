package io.flinkclip.kernels;

/**
 * Grow-only per-thread float buffers, so hot kernels do not allocate per call. Each slot is owned by one
 * kernel (packed A, packed B, im2col, ...). A buffer is checked out with {@link #acquire} and handed back
 * with {@link #release}; while it is out, another acquire of the slot on the same thread gets a fresh array.
 * That matters because a thread waiting in {@code ForkJoinPool.invoke} (a Flink task thread) may run other
 * queued kernel tasks meanwhile, which must not overwrite panels the pool's workers are still reading.
 */
final class Scratch {
    static final int PACK_A = 0, PACK_B = 1, IM2COL = 2, ATTN = 3, CONV_OUT = 4, C_BLOCK = 5, CONV_PAD = 6, A_SLICE = 7, WINO_V = 8, WINO_M = 9,
            WINO_STAGE = 10, B_PANEL = 11, B_WIDE = 12, EDGE = 13, SLOTS = 14;
    /** Buffers above this size are not kept after the call (avoids pinning huge arrays to a thread). */
    private static final int KEEP_LIMIT = 8 << 20;
    private static final class Slots {
        final float[][] bufs = new float[SLOTS][];
        final boolean[] out = new boolean[SLOTS];
    }

    private static final ThreadLocal<Slots> SLOTS_OF_THREAD = ThreadLocal.withInitial(Slots::new);

    private Scratch() {}

    /** A buffer of at least {@code size} floats with unspecified contents; pair every call with {@link #release}. */
    static float[] acquire(int slot, int size) {
        Slots s = SLOTS_OF_THREAD.get();
        if (s.out[slot]) return new float[size];
        float[] cur = s.bufs[slot];
        if (cur == null || cur.length < size) {
            cur = new float[size];
            if (size > KEEP_LIMIT) return cur;
            s.bufs[slot] = cur;
        }
        s.out[slot] = true;
        return cur;
    }

    /** Hands back a buffer from {@link #acquire} (a fresh or oversized one is simply dropped); null is ignored. */
    static void release(int slot, float[] buf) {
        if (buf == null) return;
        Slots s = SLOTS_OF_THREAD.get();
        if (s.bufs[slot] == buf) s.out[slot] = false;
    }
}
