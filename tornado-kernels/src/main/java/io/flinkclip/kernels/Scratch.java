package io.flinkclip.kernels;

/**
 * Grow-only per-thread float buffers, so hot kernels do not allocate per call. Each slot is owned by one
 * kernel (packed A, packed B, im2col, ...). A buffer is checked out with {@link #acquire} and handed back
 * with {@link #release}: while it is out, another acquire of the same slot on the same thread gets a fresh
 * array. That matters because a thread waiting on a parallel kernel (a Flink task thread in
 * {@code ForkJoinPool.invoke}) can run other kernels' tasks meanwhile; without the check-out, those could
 * overwrite packed panels that the pool's workers are still reading.
 */
final class Scratch {
    static final int PACK_A = 0, PACK_B = 1, IM2COL = 2, ATTN = 3, SLOTS = 4;
    /** Buffers above this size are not kept after the call (avoids pinning huge arrays to a thread). */
    private static final int KEEP_LIMIT = 32 << 20;

    private static final class Slots {
        final float[][] bufs = new float[SLOTS][];
        final boolean[] out = new boolean[SLOTS];
    }

    private static final ThreadLocal<Slots> SLOTS_OF_THREAD = ThreadLocal.withInitial(Slots::new);

    private Scratch() {}

    /** A buffer of at least {@code size} floats with unspecified contents; pair with {@link #release}. */
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

    /** Hands back a buffer from {@link #acquire} on the same thread (fresh or oversized arrays are just dropped). */
    static void release(int slot, float[] buf) {
        Slots s = SLOTS_OF_THREAD.get();
        if (s.bufs[slot] == buf) s.out[slot] = false;
    }
}
