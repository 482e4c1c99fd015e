package io.flinkclip.model.device;

/**
 * Bump allocation of element offsets inside one activation arena (llm.c style: every activation is a fixed
 * region of one flat buffer). The same planning code sizes the arena and lays out a forward pass, so the
 * two cannot disagree. Offsets are aligned to 64 elements (256 bytes) for the BLAS libraries.
 */
final class Layout {
    private static final int ALIGN = 64;
    private long next;

    /** Reserves {@code elements} and returns their offset. */
    int take(long elements) {
        if (elements < 0) throw new IllegalArgumentException("negative region size " + elements);
        long off = next;
        next = (off + elements + ALIGN - 1) / ALIGN * ALIGN;
        if (next > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("activations need " + next + " elements, more than one device buffer addresses"
                    + " (2^31): use a smaller max batch");
        }
        return (int) off;
    }

    /** Elements reserved so far. */
    long size() { return next; }
}
